#!/usr/bin/env bash
# Loss without a change (issue #12): LOSS % loss and DELAY ms delay each way on A's uplink (natA's
# forward chain: nftables `numgen random` drops, then an NFQUEUE rule and bench/delay_holder.py
# hold every forwarded packet DELAY ms) for SECONDS, with a ping both ways through the tunnel every
# 0.25 s (the user's traffic) and one outside it (A to natB's WAN address: the raw path). Daemon
# defaults, refresh 10m, an exec store (bench/exec_store.py, which logs every call). Per run:
# "path failed" repairs in both daemons' logs from the start of the loss, store calls both made
# from then until the end, tunnel and raw ping loss. RUNS runs per binary; each binary runs its
# own scenes at the same time as the others (a change against its parent in the same run).
#
#   bash bench/loss_delay.sh [-l LOSS] [-d DELAY_MS] [-s SECONDS] [-n RUNS] BINARY [BINARY…]
#
# Needs root, the e2e packages, Debian's iptables (iptables-nft: this kernel's only NFQUEUE) and
# libnetfilter-queue-dev, and PyPI's NetfilterQueue for the python3 on PATH (HOLDER_PYTHON to
# choose another). Not part of scripts/test.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
LOSS=20 DELAY=300 SECONDS_=120 RUNS=5
while [[ ${1:-} == -[ldsn] ]]; do
    case $1 in
        -l) LOSS=$2 ;;
        -d) DELAY=$2 ;;
        -s) SECONDS_=$2 ;;
        -n) RUNS=$2 ;;
    esac
    shift 2
done
(($# > 0)) || { echo "usage: bash bench/loss_delay.sh [-l LOSS] [-d DELAY_MS] [-s SECONDS] [-n RUNS] BINARY [BINARY…]" >&2; exit 2; }
HOLDER_PYTHON=${HOLDER_PYTHON:-$(command -v python3)}
# Say what is missing before any scene starts (each would otherwise fail only after its set-up).
if [[ ${1:-} != --scene ]]; then
    command -v iptables >/dev/null || { echo "bench/loss_delay.sh: no iptables (apt-get install iptables: the NFQUEUE rule)" >&2; exit 2; }
    "$HOLDER_PYTHON" -c 'import netfilterqueue' 2>/dev/null || {
        echo "bench/loss_delay.sh: $HOLDER_PYTHON cannot import netfilterqueue (apt-get install libnetfilter-queue-dev; pip install NetfilterQueue)" >&2
        exit 2
    }
fi

if [[ ${1:-} == --scene ]]; then
    bin=$2 out=$3
    source "$BENCH_DIR/common.sh"
    source "$BENCH_DIR/../tests/e2e/stores_lib.sh"
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=none E2E_REFRESH=10m
    topo_two_nats eim eim
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    wg_pair A B
    store="$E2E_RUN/exec-store"
    plugins=$(exec_store_plugin_yaml "$store")
    start_stunmeshd A "$(write_store_config A B "plugin: store" "$plugins")"
    start_stunmeshd B "$(write_store_config B A "plugin: store" "$plugins")"
    deadline=$((SECONDS + 60))
    until tunnel_up A B && tunnel_up B A; do
        daemons_alive
        ((SECONDS < deadline)) || e2e_fail "tunnel not up within 60 s"
        sleep 0.2
    done
    sleep 10
    daemons_alive
    log_a=$(daemon_log A) log_b=$(daemon_log B)
    mark_a=$(wc -l <"$log_a") mark_b=$(wc -l <"$log_b")
    calls0=$(wc -l <"$store/calls.log")
    in_ns natA "$HOLDER_PYTHON" "$BENCH_DIR/delay_holder.py" 7 "$DELAY" >"$E2E_RUN/holder.log" 2>&1 &
    holder=$!
    wait_for 10 grep -q holding "$E2E_RUN/holder.log" || e2e_fail "the delay holder did not start: $(cat "$E2E_RUN/holder.log")"
    in_ns natA nft -f - <<<"table inet impair { chain forward { type filter hook forward priority -10; numgen random mod 100 < $LOSS counter drop; }; }"
    # This kernel has nft's queue expression only through iptables-nft's NFQUEUE target.
    in_ns natA iptables -t mangle -A FORWARD -j NFQUEUE --queue-num 7
    inpeer_bg A traffic-a ping -n -i 0.25 "${E2E_TUN_IP[B]}"
    ta=$E2E_LAST_PID
    inpeer_bg B traffic-b ping -n -i 0.25 "${E2E_TUN_IP[A]}"
    tb=$E2E_LAST_PID
    inpeer_bg A raw-ping ping -n -i 0.25 "${E2E_WAN[B]}"
    raw=$E2E_LAST_PID
    sleep "$SECONDS_"
    kill -INT "$ta" "$tb" "$raw" 2>/dev/null || true
    wait "$ta" "$tb" "$raw" 2>/dev/null || true
    in_ns natA nft delete table inet impair
    in_ns natA iptables -t mangle -D FORWARD -j NFQUEUE --queue-num 7
    kill "$holder" 2>/dev/null || true
    daemons_alive
    repairs=$( (tail -n "+$((mark_a + 1))" "$log_a"; tail -n "+$((mark_b + 1))" "$log_b") | grep -c 'path failed' || true)
    calls=$(($(wc -l <"$store/calls.log") - calls0))
    loss_of() { sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$(e2e_peer_dir "$1")/$2.log" | head -n 1; }
    rtt_of() { sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$(e2e_peer_dir "$1")/$2.log" | head -n 1; }
    echo "loss_delay binary=$bin loss=$LOSS delay_ms=$DELAY seconds=$SECONDS_ repairs=$repairs store_calls=$calls tunnel_loss=$(loss_of A traffic-a) tunnel_loss_b=$(loss_of B traffic-b) raw_loss=$(loss_of A raw-ping) tunnel_rtt_ms=$(rtt_of A traffic-a) raw_rtt_ms=$(rtt_of A raw-ping)" >"$out"
    exit 0
fi

source "$BENCH_DIR/common.sh"
## scene ABS_BINARY RUN PREFIX — one run.
scene() {
    bash "$0" -l "$LOSS" -d "$DELAY" -s "$SECONDS_" --scene "$1" "$3" >"$3.log" 2>&1 ||
        echo "loss_delay binary=$1 run $2 failed (see $3.log)" >"$3"
}
bench_parallel "$RUNS" scene "$@"
