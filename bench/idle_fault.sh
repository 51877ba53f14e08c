#!/usr/bin/env bash
# Idle fault, then traffic (issue #12): the two-NAT scene, daemon defaults (keepalive learned,
# refresh 10m, file store). Once the tunnel is up and has been idle for SETTLE s, natA gives A a
# new public port (conntrack flushed: a NAT re-mapping with no event on A's host); after WAIT s
# more of idle, a 20/s ping starts through the tunnel from SIDE (A: the side that was re-mapped,
# B: the other); the figure is the time from its first packet to its first reply. RUNS runs per
# binary and side, each binary's scenes at the same time as the others'.
#
#   bash bench/idle_fault.sh [-n RUNS] [-w WAIT] [-S SETTLE] BINARY [BINARY…]
#
# Prints "idle_fault binary=… side=… run=… restore_s=…" per run. Needs root and the e2e packages.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RUNS=3 WAIT=40 SETTLE=30
while [[ ${1:-} == -[nwS] ]]; do
    case $1 in
        -n) RUNS=$2 ;;
        -w) WAIT=$2 ;;
        -S) SETTLE=$2 ;;
    esac
    shift 2
done
(($# > 0)) || { echo "usage: bash bench/idle_fault.sh [-n RUNS] [-w WAIT] [-S SETTLE] BINARY [BINARY…]" >&2; exit 2; }

if [[ ${1:-} == --scene ]]; then
    bin=$2 side=$3 out=$4
    source "$BENCH_DIR/common.sh"
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=none E2E_REFRESH=10m E2E_SETTLE=0
    daemon_pair_up 60 >/dev/null
    other=$([[ $side == A ]] && echo B || echo A)
    sleep "$SETTLE"
    fault_nat_port A
    sleep "$WAIT"
    daemons_alive
    inpeer_bg "$side" resume ping -n -i 0.05 -W 1 "${E2E_TUN_IP[$other]}"
    pinger=$E2E_LAST_PID
    t0=$(now_ts)
    log="$(e2e_peer_dir "$side")/resume.log"
    restore=none
    for _ in $(seq 8000); do  # up to ~400 s
        if grep -q "bytes from" "$log" 2>/dev/null; then restore=$(seconds_since "$t0"); break; fi
        sleep 0.05
    done
    kill -INT "$pinger" 2>/dev/null || true
    echo "idle_fault binary=$bin side=$side leader=$(wg_initiator A B) restore_s=$restore" >"$out"
    exit 0
fi

source "$BENCH_DIR/common.sh"
## scenes ABS_BINARY RUN PREFIX — one run: a scene with the traffic from A, one from B.
scenes() {
    local side
    for side in A B; do
        bash "$0" -w "$WAIT" -S "$SETTLE" --scene "$1" "$side" "$3.$side" >"$3.$side.log" 2>&1 ||
            echo "idle_fault binary=$1 side=$side run $2 failed (see $3.$side.log)" >"$3.$side"
    done
}
bench_parallel "$RUNS" scenes "$@"
