#!/usr/bin/env bash
# Mixed pair (issue #17's target): stunmeshd in peerA, the real stunmesh-go in peerB (its ping
# monitor at interval 1 s, timeout 1 s, fixed_retries 3; ../shared/interop/stunmesh-go or
# $STUNMESH_GO), one exec store (stunmesh-go's exec protocol, bench/exec_store.py), two NATs.
# Once the tunnel works both ways, REBINDS times per side: that side's NAT gives it a new public
# port (conntrack flushed), and the figure is the time from the fault to the first answered ping
# A -> B through the tunnel (restore_time, 20 pings/s); then SETTLE s, the tunnel checked both
# ways, and a random 0–1 s before the next fault: a restore of side A happens at one of stunmesh-go's
# pings, so without it every fault would come at the same point of its 1 s ping clock, where a
# carrier's rebinding comes at any. Every binary's scene runs at the same time as the others'.
#
#   bash bench/mixed_pair.sh [-n REBINDS] [-S SETTLE] BINARY [BINARY…]
#
# Each rebinding is also split at stunmesh-go's own verdict: go_detect_s is the time from the fault
# to its ping monitor's first "peer ping timed out" (its log, stamped by bench/stamp_lines.py), the
# moment it publishes its new mapping and reads ours; after_go_s is the rest (side A: until its next
# ping opens its NAT toward our new mapping; side B: until we read its new record). Nothing reaches
# the stunmesh-go side through either NAT before that verdict, so go_detect_s is its share alone.
#
# SETTLE (default 20 s) also decides how rested the exec store's read budget is at the next fault
# (4 reads at once, then one per 5 s: StoreDescriptor.readBudget): 20 s lets it refill, as between a
# carrier's rebindings; with -S 8, rebindings ~12 s apart find it partly spent and our reads of the
# partner's new record wait for it (budgets beat latency targets).
#
# GO_PING="interval: 1s, timeout: 500ms, fixed_retries: 3" changes stunmesh-go's ping_monitor.
#
# The word `stunmesh-go` as a BINARY runs the reference scene: stunmesh-go on both sides (side A with
# the same ping monitor, toward B), so the same run shows what a pure stunmesh-go pair takes under the
# same faults; there go_a_detect_s is side A's own verdict as well.
#
# Prints "mixed_pair binary=… side=… run=… restore_s=…" per rebinding, then p50/p95/max per
# binary and side. Needs root, the e2e packages and the stunmesh-go binary.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REBINDS=10 SETTLE=20
while [[ ${1:-} == -[nS] ]]; do
    case $1 in
        -n) REBINDS=$2 ;;
        -S) SETTLE=$2 ;;
    esac
    shift 2
done
(($# > 0)) || { echo "usage: bash bench/mixed_pair.sh [-n REBINDS] [-S SETTLE] BINARY [BINARY…]" >&2; exit 2; }

if [[ ${1:-} == --scene ]]; then
    bin=$2 out=$3
    source "$BENCH_DIR/common.sh"
    source "$BENCH_DIR/../tests/e2e/stores_lib.sh"
    go_bin=${STUNMESH_GO:-$E2E_ROOT/../shared/interop/stunmesh-go}
    [[ -x $go_bin ]] || e2e_fail "no stunmesh-go binary at $go_bin (set STUNMESH_GO)"
    go_pair=false
    [[ $(basename "$bin") == stunmesh-go ]] && go_pair=true
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=none E2E_REFRESH=10m
    topo_two_nats eim eim
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    wg_pair A B
    plugins=$(exec_store_plugin_yaml "$E2E_RUN/exec-store")
    go_ping="ping_monitor: { ${GO_PING:-interval: 1s, timeout: 1s, fixed_retries: 3} }"
    conf_b=$(write_store_config B A "plugin: store, ping: { enabled: true, target: ${E2E_TUN_IP[A]} }" "$plugins")
    echo "$go_ping" >>"$conf_b"
    ## start_go PEER CONFIG — stunmesh-go, its log lines stamped to the millisecond (its own stamps
    ## show the minute).
    start_go() {
        inpeer_bg "$1" stunmesh-go bash -c '"$0" -c "$1" 2>&1 | python3 -u "$2"' "$go_bin" "$2" "$BENCH_DIR/stamp_lines.py"
    }
    if $go_pair; then
        conf_a=$(write_store_config A B "plugin: store, ping: { enabled: true, target: ${E2E_TUN_IP[B]} }" "$plugins")
        echo "$go_ping" >>"$conf_a"
        start_go A "$conf_a"
    else
        conf_a=$(write_store_config A B "plugin: store" "$plugins")
        start_stunmeshd A "$conf_a"
    fi
    start_go B "$conf_b"
    go_log=$(e2e_peer_dir B)/stunmesh-go.log
    go_a_log=$(e2e_peer_dir A)/stunmesh-go.log
    wait_for 90 tunnel_ping A B 1 || e2e_fail "the mixed pair did not connect within 90 s"
    wait_for 30 tunnel_ping B A 1 || e2e_fail "B -> A does not work"
    ## go_verdict LOG T0 — seconds from T0 to the first "peer ping timed out" in a stunmesh-go log.
    go_verdict() { awk -v t0="$2" '$1 >= t0 && /peer ping timed out/ { printf "%.2f", $1 - t0; exit }' "$1"; }
    sleep "$SETTLE"
    for side in A B; do
        for run in $(seq "$REBINDS"); do
            sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
            fault_nat_port "$side"
            t0=$(now_ts)
            restore=$(restore_time A B "$t0" 90) || restore=none
            # stunmesh-go's first ping verdict after the fault, and what came after it.
            detect=$(go_verdict "$go_log" "$t0")
            after=none
            [[ -z $detect || $restore == none ]] || after=$(awk -v r="$restore" -v d="$detect" 'BEGIN { printf "%.2f", r - d }')
            a_detect=
            $go_pair && a_detect=" go_a_detect_s=$(go_verdict "$go_a_log" "$t0")"
            echo "mixed_pair binary=$bin side=$side run=$run restore_s=$restore go_detect_s=${detect:-none} after_go_s=$after$a_detect" >>"$out"
            sleep "$SETTLE"
            wait_for 60 tunnel_ping A B 1 && wait_for 60 tunnel_ping B A 1 ||
                e2e_fail "side $side run $run: the tunnel did not settle both ways"
        done
    done
    exit 0
fi

source "$BENCH_DIR/common.sh"
# `stunmesh-go` names the reference scene's binary (its basename is what the scene looks at).
go_bin=${STUNMESH_GO:-$BENCH_DIR/../../shared/interop/stunmesh-go}
args=()
for bin in "$@"; do
    if [[ $bin == stunmesh-go ]]; then
        [[ -x $go_bin ]] || { echo "no stunmesh-go binary at $go_bin (set STUNMESH_GO)" >&2; exit 2; }
        bin=$go_bin
    fi
    args+=("$bin")
done
set -- "${args[@]}"
## scene ABS_BINARY RUN PREFIX — one scene with every rebinding.
scene() {
    GO_PING=${GO_PING:-} bash "$0" -n "$REBINDS" -S "$SETTLE" --scene "$1" "$3" >"$3.log" 2>&1 ||
        echo "mixed_pair binary=$1 scene failed (see $3.log)" >>"$3"
}
out=$(bench_parallel 1 scene "$@")
echo "$out"
for bin in "$@"; do
    abs="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
    for side in A B; do
        grep "binary=$abs side=$side " <<<"$out" | sed -n 's/.*restore_s=\([^ ]*\).*/\1/p' >/tmp/mixed_pair.$$ || true
        line="mixed_pair summary binary=$abs side=$side n/p50/p95/max=$(bench_stats /tmp/mixed_pair.$$ | tr ' ' /) failed=$(grep -c none /tmp/mixed_pair.$$ || true)"
        for part in go_detect_s after_go_s $([[ $(basename "$abs") == stunmesh-go ]] && echo go_a_detect_s); do
            grep "binary=$abs side=$side " <<<"$out" | sed -n "s/.* $part=\([0-9.]*\).*/\1/p" >/tmp/mixed_pair.$$ || true
            line+=" ${part%_s}=$(bench_stats /tmp/mixed_pair.$$ | tr ' ' /)"
        done
        echo "$line"
    done
done
rm -f /tmp/mixed_pair.$$
