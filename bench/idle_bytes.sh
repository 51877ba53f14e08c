#!/usr/bin/env bash
# Idle bytes (issue #12): what one watched, idle peer costs on a metered uplink. The two-NAT scene of
# tests/e2e, daemon defaults (no ping keys, keepalive 25 s, refresh 10m, file store, log level
# info); once the tunnel is up and 10 s have passed, every byte through natA's WAN interface, both
# directions (WireGuard's keepalives and rekeys, the daemon's probes and STUN), is counted for
# WINDOW seconds and scaled to a day. Each binary given runs its own scene at the same time, so a
# change is compared with its parent commit in the same run.
#
#   bash bench/idle_bytes.sh [-w WINDOW_SECONDS] BINARY [BINARY…]
#
# Prints one line per binary: "idle_bytes binary=… window_s=… bytes=… per_day_mib=…". Needs root
# and the e2e packages. Not part of scripts/test.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
WINDOW=600
if [[ ${1:-} == -w ]]; then WINDOW=$2; shift 2; fi
(($# > 0)) || { echo "usage: bash bench/idle_bytes.sh [-w SECONDS] BINARY [BINARY…]" >&2; exit 2; }
[[ $1 == --scene ]] || (($# <= 9)) || { echo "at most 9 binaries" >&2; exit 2; }

## One scene (run as its own process, so that each has its own namespace prefix): prints the
## result line into OUT.
if [[ ${1:-} == --scene ]]; then
    bin=$2 out=$3
    source "$BENCH_DIR/common.sh"
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=25 E2E_REFRESH=10m E2E_SETTLE=10
    daemon_pair_up 60 >/dev/null
    wan_bytes() {
        in_ns natA cat /sys/class/net/wan/statistics/rx_bytes /sys/class/net/wan/statistics/tx_bytes |
            awk '{ s += $1 } END { print s }'
    }
    before=$(wan_bytes)
    sleep "$WINDOW"
    daemons_alive
    after=$(wan_bytes)
    awk -v b="$bin" -v w="$WINDOW" -v d=$((after - before)) \
        'BEGIN { printf "idle_bytes binary=%s window_s=%d bytes=%d per_day_mib=%.2f\n", b, w, d, d * 86400 / w / 1048576 }' >"$out"
    exit 0
fi

results=$(mktemp -d)
i=0
for bin in "$@"; do
    i=$((i + 1))
    bash "$0" -w "$WINDOW" --scene "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$results/$i" \
        >"$results/$i.log" 2>&1 || echo "idle_bytes binary=$bin failed (see $results/$i.log)" >"$results/$i" &
done
wait
cat "$results"/[0-9]
echo "logs: $results"
