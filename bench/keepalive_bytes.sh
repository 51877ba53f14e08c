#!/usr/bin/env bash
# Keepalive learned from the NAT (issue #12 item 4): what an idle peer costs when both NATs' idle
# UDP mappings live T seconds. The two-NAT scene of tests/e2e, daemon defaults (no `keepalive`
# key: 25 s for a binary that does not learn), refresh 10m, file store; both NATs' conntrack UDP
# timers (unreplied and "stream") set to T. Every byte through natA's WAN interface, both
# directions, is counted from the tunnel coming up for WINDOW seconds, and separately over the
# last LAST seconds of it (after learning). At the end, after 2 × T of keepalives only, each side
# (the leader first) pings the other once through the tunnel: "reachable" says whether both
# answered.
#
#   bash bench/keepalive_bytes.sh [-T SECONDS|default] [-w WINDOW] [-l LAST] BINARY [BINARY…]
#
# -T default leaves the NATs' conntrack timers as the kernel has them (unreplied 30 s, stream 120 s).
#
# Each binary runs its own scene at the same time (a change is compared with its parent in the
# same run). Prints one line per binary: "keepalive_bytes binary=… nat_timeout_s=… window_s=…
# bytes=… per_day_mib=… last_s=… last_per_day_mib=… leader_keepalive=… follower_keepalive=…
# reachable=…". Needs root and the e2e packages. Not part of scripts/test.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TIMER=30 WINDOW=1800 LAST=600
while [[ ${1:-} == -[Twl] ]]; do
    case $1 in
        -T) TIMER=$2 ;;
        -w) WINDOW=$2 ;;
        -l) LAST=$2 ;;
    esac
    shift 2
done
(($# > 0)) || { echo "usage: bash bench/keepalive_bytes.sh [-T SECONDS] [-w WINDOW] [-l LAST] BINARY [BINARY…]" >&2; exit 2; }

if [[ ${1:-} == --scene ]]; then
    bin=$2 out=$3
    source "$BENCH_DIR/common.sh"
    E2E_STUNMESHD=$bin
    export E2E_KEEPALIVE=none E2E_REFRESH=10m E2E_SETTLE=0
    [[ $TIMER == default ]] || export E2E_NAT_UDP_TIMEOUT=$TIMER
    lifetime=$([[ $TIMER == default ]] && echo 120 || echo "$TIMER")
    daemon_pair_up 60 >/dev/null
    wan_bytes() {
        in_ns natA cat /sys/class/net/wan/statistics/rx_bytes /sys/class/net/wan/statistics/tx_bytes |
            awk '{ s += $1 } END { print s }'
    }
    start=$(wan_bytes)
    sleep $((WINDOW - LAST))
    middle=$(wan_bytes)
    sleep "$LAST"
    daemons_alive
    end=$(wan_bytes)
    leader=$(wg_initiator A B)
    follower=$([[ $leader == A ]] && echo B || echo A)
    wg_k() { inpeer "$1" wg show wg0 persistent-keepalive | awk '{ print $2 }'; }
    kl=$(wg_k "$leader") kf=$(wg_k "$follower")
    sleep $((2 * lifetime))
    reachable=yes
    inpeer "$leader" ping -n -c 1 -W 3 "${E2E_TUN_IP[$follower]}" >/dev/null || reachable=no
    sleep $((2 * lifetime))
    inpeer "$follower" ping -n -c 1 -W 3 "${E2E_TUN_IP[$leader]}" >/dev/null || reachable=no
    repairs=$(cat "$(daemon_log A)" "$(daemon_log B)" | grep -c 'path failed' || true)
    awk -v b="$bin" -v t="$TIMER" -v w="$WINDOW" -v l="$LAST" -v d=$((end - start)) -v dl=$((end - middle)) \
        -v kl="$kl" -v kf="$kf" -v r="$reachable" -v rep="$repairs" 'BEGIN {
        printf "keepalive_bytes binary=%s nat_timeout_s=%s window_s=%d bytes=%d per_day_mib=%.2f last_s=%d last_bytes=%d last_per_day_mib=%.2f leader_keepalive=%s follower_keepalive=%s reachable=%s repairs=%d\n",
            b, t, w, d, d * 86400 / w / 1048576, l, dl, dl * 86400 / l / 1048576, kl, kf, r, rep }' >"$out"
    exit 0
fi

results=$(mktemp -d)
i=0
for bin in "$@"; do
    i=$((i + 1))
    bash "$0" -T "$TIMER" -w "$WINDOW" -l "$LAST" --scene "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$results/$i" \
        >"$results/$i.log" 2>&1 || echo "keepalive_bytes binary=$bin failed (see $results/$i.log)" >"$results/$i" &
done
wait
cat "$results"/[0-9]
echo "logs: $results"
