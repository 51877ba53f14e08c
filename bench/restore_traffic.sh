#!/usr/bin/env bash
# Restore while traffic flows (issue #12): the two-NAT scene, daemon defaults (no ping keys,
# keepalive 25 s, refresh 10m, file store), a ping both ways through the tunnel every 0.25 s from
# 10 s before each fault; the fault is (a) natA gives A a new public port or (b) a new public IP;
# the time from the fault to the first reply of a 20/s ping A -> B (restore_time of tests/e2e).
# RUNS faults per kind in one topology, one after the other (the tunnel working both ways and 5 s
# of quiet traffic between them). Each binary given is measured in turn, in the same run, so a
# change is compared with its parent commit on the same machine and day.
#
#   bash bench/restore_traffic.sh [-n RUNS] [-d DELAY_MS] [--faults "a b"] [--modes "split full"] BINARY [BINARY…]
#
# --modes: `split` (default) is the scene above; `full` makes A a wg-quick style full tunnel (issue
# #18: fwmark 51820, allowed-ips 0.0.0.0/0, policy rules; A's config then names B's tunnel address as
# its ping.target, which a full tunnel needs). Both in one run compare the two on the same machine.
#
# -d adds DELAY_MS each way on A's uplink (natA's forward chain: iptables-nft's NFQUEUE and
# bench/delay_holder.py, which needs PyPI's NetfilterQueue for the python3 on PATH).
#
# Prints per binary, mode and fault: "restore_traffic binary=… mode=… fault=… n=… p50=… p95=… max=… failed=…".
# Needs root and the e2e packages. Not part of scripts/test.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [[ ${1:-} == --worker ]]; then
    fault=$2 runs=$3 out=$4 bin=$5 delay=${6:-0} mode=${7:-split}
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=25 E2E_REFRESH=10m
    [[ $mode == split ]] || export E2E_FULL_TUNNEL=A
    daemon_pair_up 60 >/dev/null
    if ((delay > 0)); then
        in_ns natA "${HOLDER_PYTHON:-$(command -v python3)}" "$(dirname "$0")/delay_holder.py" 7 "$delay" >"$E2E_RUN/holder.log" 2>&1 &
        wait_for 10 grep -q holding "$E2E_RUN/holder.log" || e2e_fail "the delay holder did not start"
        in_ns natA iptables -t mangle -A FORWARD -j NFQUEUE --queue-num 7
    fi
    inpeer_bg A traffic-a ping -n -i 0.25 "${E2E_TUN_IP[B]}"
    inpeer_bg B traffic-b ping -n -i 0.25 "${E2E_TUN_IP[A]}"
    for ((run = 1; run <= runs; run++)); do
        wait_for 60 tunnel_up A B && wait_for 10 tunnel_up B A || e2e_fail "run $run: tunnel not up before the fault"
        sleep 10
        case $fault in
            a) fault_nat_port A ;;
            b) fault_nat_ip A ;;
        esac
        t0=$(now_ts)
        # The fault rewrites natA's ruleset (nft flush ruleset), iptables-nft's tables included.
        ((delay == 0)) || in_ns natA iptables -t mangle -A FORWARD -j NFQUEUE --queue-num 7
        if dt=$(restore_time A B "$t0" 30); then echo "$dt" >>"$out"; else echo "failed" >>"$out"; fi
        wait_for 30 tunnel_up B A || e2e_fail "run $run: B cannot ping A after the repair"
        daemons_alive
        sleep 5
    done
    exit 0
fi

runs=20 faults="a b" delay=0 modes=split
while (($# > 0)); do
    case $1 in
        -n) runs=$2; shift 2 ;;
        -d) delay=$2; shift 2 ;;
        --faults) faults=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        -*) sed -n '/^#   bash/,/^# Needs/p' "$0" >&2; exit 2 ;;
        *) break ;;
    esac
done
(($# > 0)) || { echo "usage: bash bench/restore_traffic.sh [-n RUNS] [-d DELAY_MS] [--faults \"a b\"] [--modes \"split full\"] BINARY [BINARY…]" >&2; exit 2; }
if ((delay > 0)); then
    # Say what is missing before any worker starts (each would otherwise fail only after its set-up).
    command -v iptables >/dev/null || { echo "bench/restore_traffic.sh: -d needs iptables (apt-get install iptables)" >&2; exit 2; }
    "${HOLDER_PYTHON:-$(command -v python3)}" -c 'import netfilterqueue' 2>/dev/null || {
        echo "bench/restore_traffic.sh: -d needs python's netfilterqueue (apt-get install libnetfilter-queue-dev; pip install NetfilterQueue)" >&2
        exit 2
    }
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-restore.XXXXXX")
for bin in "$@"; do
    bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
    for mode in $modes; do
        for fault in $faults; do
            out="$work/$(echo "$bin" | tr / _)-$mode-$fault"
            : >"$out"
            bash "$0" --worker "$fault" "$runs" "$out" "$bin" "$delay" "$mode" >"$out.log" 2>&1 ||
                echo "worker for $bin $mode $fault failed (see $out.log)" >&2
            read -r n p50 p95 max < <(bench_stats "$out")
            echo "restore_traffic binary=$bin mode=$mode fault=$fault delay_ms=$delay n=$n p50=$p50 p95=$p95 max=$max failed=$(grep -c failed "$out" || true)"
        done
    done
done
echo "raw results: $work"
