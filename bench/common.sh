# shellcheck shell=bash
# bench/common.sh — shared by the benchmark scripts in bench/: the end-to-end harness
# (tests/e2e/lib.sh), percentiles, the process counters, and the "hub" scene: one stunmeshd
# managing several peers.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/e2e/lib.sh
source "$BENCH_DIR/../tests/e2e/lib.sh"

## bench_stats FILE — "n p50 p95 max" of the numbers in FILE (one per line; other lines ignored),
## nearest-rank percentiles (the ceil(p/100·n)-th smallest); "0 - - -" when there are none.
bench_stats() {
    grep -E '^[0-9]+(\.[0-9]+)?$' "$1" | sort -g | awk '
        { v[++n] = $1 }
        function rank(p,   r) { r = int(p / 100 * n); if (r < p / 100 * n) r++; return v[r < 1 ? 1 : r] }
        END { if (n == 0) { print "0 - - -"; exit } printf "%d %.2f %.2f %.2f\n", n, rank(50), rank(95), v[n] }'
}

## bench_binary — the daemon to measure: $STUNMESHD, else .build/release/stunmeshd (never debug:
## the figures are for the release build).
bench_binary() {
    local bin=${STUNMESHD:-$E2E_ROOT/.build/release/stunmeshd}
    [[ -x $bin ]] || { echo "no release binary at $bin: run 'swift build -c release' or set STUNMESHD" >&2; return 1; }
    (cd "$(dirname "$bin")" && echo "$(pwd)/$(basename "$bin")")
}

## proc_cpu_ticks PID — utime + stime of the process (all threads), in clock ticks.
proc_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

## proc_run_ns PID — CPU time of all its threads in nanoseconds (schedstat: exact, no tick rounding).
## Printed with %.0f: Debian's awk (mawk) saturates %d at 2^31 − 1, i.e. 2.1 s.
proc_run_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

## proc_ctxt PID — "voluntary nonvoluntary" context switches summed over its threads. Each voluntary
## switch is the process going to sleep (in epoll_wait, mostly), i.e. one wakeup later.
proc_ctxt() {
    cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ { v += $2 } /^nonvoluntary_ctxt_switches/ { n += $2 }
        END { print v, n }'
}

## proc_threads PID — number of threads.
proc_threads() { ls /proc/"$1"/task | wc -l; }

## proc_rss_kb PID — VmRSS in kB.
proc_rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

## topo_add_public_peer NAME ADDR — a peer namespace peer<NAME> on the internet bridge with public
## address ADDR/24 (no NAT in front), with its namespace holder like peerA/peerB. Call after
## topo_two_nats.
topo_add_public_peer() {
    local name=$1 addr=$2
    e2e_add_ns "peer$name"
    e2e_veth "peer$name" eth0 inet "p$name"
    in_ns inet ip link set "p$name" master br0
    in_ns "peer$name" ip addr add "$addr/24" dev eth0
    e2e_holder "$name"
}

## hub_config PEER MODE OTHER… — config for a daemon in peer<PEER> managing every OTHER (keepalive
## 25, log level info, monitor MODE, refresh E2E_REFRESH or 10m); prints its path.
hub_config() {
    local peer=$1 mode=$2
    shift 2
    local file other
    file="$(e2e_peer_dir "$peer")/config.yaml"
    {
        echo "refresh_interval: \"${E2E_REFRESH:-10m}\""
        echo "log: { level: info }"
        echo "monitor: { mode: $mode }"
        echo "stun: { addresses: [\"$E2E_STUN1:$E2E_STUN_PORT\"] }"
        echo "interfaces:"
        echo "  wg0:"
        echo "    protocol: ipv4"
        echo "    peers:"
        for other in "$@"; do
            echo "      peer_$(echo "$other" | tr '[:upper:]' '[:lower:]'): { public_key: \"$(wg_pubkey "$other")\", plugin: store, keepalive: 25 }"
        done
        echo "plugins:"
        echo "  store: { type: builtin, name: file, directory: \"$E2E_STORE\" }"
    } >"$file"
    echo "$file"
}

## hub_up N MODE BIN — the idle scene: stunmeshd (BIN, monitor MODE) in peerA behind natA managing N
## peers on its wg0: B behind natB, and N-1 partners P1… on public addresses 203.0.113.101…
## Every partner is a real wireguard-go with its own stunmeshd (event mode) managing A alone, so
## A's side of each of the N tunnels is what it would be in a mesh. Waits until A pings all N
## through their tunnels; sets BENCH_PARTNERS (B P1 …). BENCH_HUB_A_BIN, when set, is run as A's
## daemon instead of BIN (bench/order-file.sh runs it under callgrind that way).
hub_up() {
    local n=$1 mode=$2 bin=$3 i p
    topo_two_nats eim eim
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    BENCH_PARTNERS=(B)
    for ((i = 1; i < n; i++)); do
        topo_add_public_peer "P$i" "203.0.113.$((100 + i))"
        start_wg "P$i" "10.99.0.$((10 + i))/24"
        BENCH_PARTNERS+=("P$i")
    done
    local conf
    for p in "${BENCH_PARTNERS[@]}"; do
        wg_pair A "$p"
        conf=$(E2E_KEEPALIVE=25 write_stunmesh_config "$p" A)
        start_stunmeshd "$p" "$conf" "$bin"
    done
    start_stunmeshd A "$(hub_config A "$mode" "${BENCH_PARTNERS[@]}")" "${BENCH_HUB_A_BIN:-$bin}"
    local deadline=$((SECONDS + ${BENCH_HUB_WAIT:-60}))
    for p in "${BENCH_PARTNERS[@]}"; do
        until wg_handshake_age A "$p" >/dev/null && tunnel_ping A "$p" >/dev/null; do
            daemons_alive
            ((SECONDS < deadline)) || e2e_fail "hub: no tunnel A<->$p within 60 s"
            sleep 0.3
        done
    done
    e2e_log "hub up: stunmeshd pid ${E2E_DAEMON_PID[A]} in peerA ($mode) with ${#BENCH_PARTNERS[@]} peers: ${BENCH_PARTNERS[*]}"
}

## bench_parallel RUNS FUNCTION BINARY… — for each binary at the same time (a change is compared
## with its parent in the same run), FUNCTION ABS_BINARY RUN PREFIX for RUN = 1…RUNS in turn; each
## call writes its result lines to files named PREFIX* and its logs to PREFIX*.log. Then prints
## every result and where the logs are.
bench_parallel() {
    local runs=$1 fn=$2 results i=0 bin abs run
    shift 2
    results=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
    for bin in "$@"; do
        i=$((i + 1))
        abs="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
        (for run in $(seq "$runs"); do "$fn" "$abs" "$run" "$results/$i.$run"; done) &
    done
    wait
    find "$results" -type f ! -name '*.log' | sort | xargs cat
    echo "logs: $results"
}
