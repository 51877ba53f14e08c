#!/usr/bin/env bash
# Issue 3's benchmark: how fast stunmeshd repairs a tunnel, event mode against fixed-interval mode,
# and what watching costs when nothing happens.
#
# Reconnect: for the faults (a) A's NAT gives A a new public port, (b) A's NAT gets a new public IP,
# (c) both NATs change at once (A a new IP, B a new port), (d) A's uplink loses carrier for 5 s
# (see tests/e2e/test_fault_*.sh, which use the same fault helpers), RUNS runs each per mode: the
# time from the fault (for (d): from the link coming back) to the first answered ping through the
# tunnel A -> B (restore_time in tests/e2e/lib.sh: 20 pings/s, ping -D receive stamps). Modes:
#   events    the default: probes trigger the repair; refresh_interval 10m (the fallback)
#   interval  monitor.mode interval, refresh_interval REFRESH (default 60s): the timer alone
# Each worker is one two-NAT topology (fresh keys, E2E_INITIATOR alternating A/B between
# workers) that takes several faults in a row, waiting for the tunnel to work both ways between
# them. Event mode runs serially, one topology at a time, with nothing else of ours running; the
# interval workers then run in parallel (their figures are set by timers, not CPU), each fault
# waiting a random 0..REFRESH s first so it lands at a random point of the refresh cycle.
#
# Idle cost: one stunmeshd with PEERS peers (B behind natB and PEERS-1 public partners, each a
# real wireguard-go with its own stunmeshd, so every tunnel is up and watched), 60 s to settle,
# then over WINDOW s: voluntary context switches (= wakeups) per minute, and CPU seconds per hour
# from utime+stime (clock ticks) and from schedstat (ns), extrapolated from the window. Measured
# for events and interval mode.
#
#   bash bench/reconnect.sh [-n RUNS] [--faults "a b c d"] [--modes "events interval"]
#        [--refresh SECONDS] [--idle-peers N] [--idle-window SECONDS] [--no-idle | --only-idle]
# Needs root, the e2e packages and a release build (swift build -c release; or STUNMESHD=path).
# Not part of scripts/test.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SETTLE_AFTER_REPAIR=5   # s between a repair and the next fault (event mode: repair polls stop)

## fault_name F — a short name for fault letter F.
fault_name() {
    case $1 in
        a) echo "a: A new public port" ;;
        b) echo "b: A new public IP" ;;
        c) echo "c: both NATs change" ;;
        d) echo "d: A uplink down 5 s" ;;
        *) return 1 ;;
    esac
}

## random_seconds MAX — uniform in [0, MAX), two decimals.
random_seconds() { awk -v r="$RANDOM$RANDOM" -v m="$1" 'BEGIN { printf "%.2f", (r % 1000000) / 1000000 * m }'; }

## inject F — inject fault F; prints nothing; sets T0 to the moment from which restore is timed.
inject() {
    case $1 in
        a) fault_nat_port A; T0=$(now_ts) ;;
        b) fault_nat_ip A; T0=$(now_ts) ;;
        c) fault_nat_ip A; fault_nat_port B; T0=$(now_ts) ;;
        d)
            fault_uplink A down
            local t_down
            t_down=$(now_ts)
            sleep "$(awk -v a="$t_down" -v b="$(now_ts)" 'BEGIN { s = 5 - (b - a); print (s > 0 ? s : 0) }')"
            fault_uplink A up
            T0=$(now_ts)
            ;;
    esac
}

# --- worker: one topology, RUNS faults of one kind, one result line per run ---
if [[ ${1:-} == --worker ]]; then
    mode=$2 fault=$3 runs=$4 initiator=$5 out=$6 bin=$7 refresh=$8
    E2E_STUNMESHD=$bin
    export E2E_MONITOR_MODE=$mode E2E_KEEPALIVE=25 E2E_INITIATOR=$initiator
    if [[ $mode == interval ]]; then
        E2E_REFRESH="${refresh}s"
        bound=$((2 * refresh + 30))
    else
        E2E_REFRESH=10m
        bound=60
    fi
    export E2E_REFRESH
    daemon_pair_up
    for ((run = 1; run <= runs; run++)); do
        if [[ $mode == interval ]]; then sleep "$(random_seconds "$refresh")"; else sleep "$(random_seconds 1)"; fi
        wait_for 60 tunnel_up A B && wait_for 10 tunnel_up B A || e2e_fail "run $run: tunnel not up before the fault"
        inject "$fault"
        if dt=$(restore_time A B "$T0" "$bound"); then
            echo "$mode $fault $run $initiator $dt" >>"$out"
            e2e_log "$mode $fault run $run: restored in $dt s"
        else
            echo "$mode $fault $run $initiator timeout>$bound" >>"$out"
            e2e_log "$mode $fault run $run: not restored within $bound s"
        fi
        wait_for "$bound" tunnel_up B A || e2e_fail "run $run: B cannot ping A after the repair"
        daemons_alive
        sleep "$SETTLE_AFTER_REPAIR"
    done
    exit 0
fi

# --- idle worker: a hub with PEERS peers; prints the counters over WINDOW ---
if [[ ${1:-} == --idle-worker ]]; then
    mode=$2 peers=$3 window=$4 bin=$5
    hub_up "$peers" "$mode" "$bin"
    pid=${E2E_DAEMON_PID[A]}
    is_stunmeshd "$pid" "$bin" || e2e_fail "pid $pid is $(cat "/proc/$pid/comm"), not $bin"
    sleep 60
    daemons_alive
    read -r v0 n0 < <(proc_ctxt "$pid")
    ticks0=$(proc_cpu_ticks "$pid")
    ns0=$(proc_run_ns "$pid")
    t0=$(now_ts)
    sleep "$window"
    daemons_alive
    read -r v1 n1 < <(proc_ctxt "$pid")
    ticks1=$(proc_cpu_ticks "$pid")
    ns1=$(proc_run_ns "$pid")
    t1=$(now_ts)
    awk -v v=$((v1 - v0)) -v n=$((n1 - n0)) -v tk=$((ticks1 - ticks0)) -v ns=$((ns1 - ns0)) -v hz="$(getconf CLK_TCK)" \
        -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v rss="$(proc_rss_kb "$pid")" -v th="$(proc_threads "$pid")" \
        'BEGIN { printf "%.0f %.0f %.1f %.2f %.2f %d %d %d %.0f\n", v * 60 / w, n * 60 / w, v / w,
                 tk / hz * 3600 / w, ns / 1e9 * 3600 / w, rss, th, tk, w }'
    exit 0
fi

# --- main ---
runs=20 faults="a b c d" modes="events interval" refresh=60 idle_peers=10 idle_window=180 idle=1 reconnect=1
while (($# > 0)); do
    case $1 in
        -n) runs=$2; shift 2 ;;
        --faults) faults=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        --refresh) refresh=$2; shift 2 ;;
        --idle-peers) idle_peers=$2; shift 2 ;;
        --idle-window) idle_window=$2; shift 2 ;;
        --no-idle) idle=0; shift ;;
        --only-idle) reconnect=0; shift ;;
        *) sed -n '/^#   bash/,/^# Not part/p' "$0" >&2; exit 2 ;;
    esac
done
for f in $faults; do fault_name "$f" >/dev/null || { echo "unknown fault '$f' (a b c d)" >&2; exit 2; }; done
bin=$(bench_binary)
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-reconnect.XXXXXX")
results="$out/results.txt"
: >"$results"
echo "# bench/reconnect.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(wireguard-go --version 2>&1 | head -n 1)"
echo "# daemon: $bin; runs per fault and mode: $runs; interval-mode refresh_interval: ${refresh}s; raw results in $out"

## worker_runs TOTAL WORKERS I — runs for worker I (0-based) when TOTAL runs are split over WORKERS.
worker_runs() { echo $((($1 / $2) + ($3 < $1 % $2 ? 1 : 0))); }

if ((reconnect)); then
    for mode in $modes; do
        if [[ $mode == events ]]; then
            # Serial: two topologies per fault (A initiates in one, B in the other).
            for f in $faults; do
                for i in 0 1; do
                    init=$([[ $i == 0 ]] && echo A || echo B)
                    n=$(worker_runs "$runs" 2 "$i")
                    ((n > 0)) || continue
                    echo "  events $f: $n runs, initiator $init…"
                    bash "$0" --worker events "$f" "$n" "$init" "$results" "$bin" "$refresh" \
                        2>"$out/worker-events-$f-$i.log" || echo "  worker events $f $i failed (see $out/worker-events-$f-$i.log)"
                done
            done
        else
            # Parallel: ceil(runs/4) topologies per fault, all faults at once, starts staggered.
            per=$(((runs + 3) / 4))
            pids=()
            for f in $faults; do
                for ((i = 0; i < per; i++)); do
                    n=$(worker_runs "$runs" "$per" "$i")
                    ((n > 0)) || continue
                    init=$( ((i % 2 == 0)) && echo A || echo B)
                    bash "$0" --worker interval "$f" "$n" "$init" "$results" "$bin" "$refresh" \
                        2>"$out/worker-interval-$f-$i.log" &
                    pids+=($!)
                    sleep 1
                done
            done
            echo "  interval: ${#pids[@]} topologies in parallel, waiting…"
            for p in "${pids[@]}"; do wait "$p" || echo "  an interval worker failed (logs in $out)"; done
        fi
    done
    echo
    echo "Time from the fault to the first answered ping A -> B through the tunnel, seconds"
    echo "(nearest-rank percentiles; (d) timed from the link coming back):"
    echo
    printf '| %-22s | %-8s | %4s | %6s | %6s | %6s | %s |\n' fault mode runs p50 p95 max "not restored"
    printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------" "----------" "------" "--------" "--------" "--------" "--------------"
    for f in $faults; do
        for mode in $modes; do
            awk -v m="$mode" -v f="$f" '$1 == m && $2 == f { print $5 }' "$results" >"$out/$mode-$f.values"
            read -r n p50 p95 max < <(bench_stats "$out/$mode-$f.values")
            lost=$(grep -c '^timeout' "$out/$mode-$f.values" || true)
            printf '| %-22s | %-8s | %4s | %6s | %6s | %6s | %s |\n' "$(fault_name "$f")" "$mode" "$n" "$p50" "$p95" "$max" "$lost"
        done
    done
fi

if ((idle)); then
    echo
    echo "  idle cost: $idle_peers peers, 60 s settle, ${idle_window} s window per mode…"
    echo
    printf '| %-8s | %5s | %14s | %14s | %18s | %18s | %8s | %7s |\n' mode peers "wakeups/min" "involuntary/min" "CPU s/h (ticks)" "CPU s/h (schedstat)" "RSS MB" threads
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' "----------" "-------" "----------------" "-----------------" "--------------------" "---------------------" "----------" "---------"
    for mode in events interval; do
        if r=$(bash "$0" --idle-worker "$mode" "$idle_peers" "$idle_window" "$bin" 2>"$out/idle-$mode.log"); then
            read -r wpm ipm _ cpu_ticks cpu_ns rss threads ticks window <<<"$r"
            printf '| %-8s | %5s | %14s | %15s | %18s | %19s | %8s | %7s |\n' "$mode" "$idle_peers" "$wpm" "$ipm" \
                "$cpu_ticks ($ticks ticks)" "$cpu_ns" "$(awk -v k="$rss" 'BEGIN { printf "%.2f", k * 1024 / 1e6 }')" "$threads"
            echo "$mode $idle_peers $r" >>"$out/idle.txt"
        else
            echo "| $mode | idle worker failed (see $out/idle-$mode.log) |"
        fi
    done
    echo
    echo "(window ${idle_window} s after 60 s of settling; extrapolated to a minute / an hour)"
fi
