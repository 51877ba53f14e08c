#!/usr/bin/env bash
# Store calls per peer: stunmeshd against Cloudflare (the local v4 stand-in, which counts the API
# calls it receives) and OpenDHT (two real dhtnodes behind a counting relay), in the two-NAT
# namespace topology of tests/e2e, beside stunmesh-go's pattern computed from its documented
# behaviour. Needs root and the scripts/install-deps packages; builds nothing.
#
#   sudo bash bench/store_calls.sh            (STUNMESHD=/path/to/stunmeshd to choose the binary)
#
# Steady state: time runs 60 times faster than in a default deployment: refresh_interval 10s for
# 10m, OpenDHT republish_interval 5s for 5m (every store timer of stunmeshd follows these two), and
# calls are counted over STEADY_SECONDS (default 120 s, i.e. 2 h of a default deployment).
# Reconnect: a real-time run with the default refresh_interval (10m) and republish_interval (5m);
# peerB's NAT changes its public port (endpoint-independent with translated port -> port-preserving,
# conntrack flushed), and the calls from the change until 5 s after the tunnel answers again are
# counted, with the time to restore.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/../tests/e2e/lib.sh"
source "$BENCH_DIR/../tests/e2e/stores_lib.sh"

STEADY_SECONDS=${STEADY_SECONDS:-120}
SCALE=60
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
COUNTER="http://$E2E_STUN1:9080"

topo_two_nats eim eim
start_stun
start_fake_cloudflare
start_opendht
in_ns inet "$E2E_PYTHON" -I "$BENCH_DIR/counting_proxy.py" --host "$E2E_STUN1" --port 9080 \
    --upstream "${E2E_DHT_PROXIES[0]/$E2E_STUN1/127.0.0.1}" >"$E2E_RUN/counter.log" 2>&1 &
wait_for 10 http_in inet GET "$COUNTER/__calls" || e2e_fail "the counting relay did not start"
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

## calls STORE — "total GET POST PATCH" calls received so far by the store's counter.
calls() {
    local json
    if [[ $1 == cloudflare ]]; then json=$(cloudflare_calls); else json=$(http_in inet GET "$COUNTER/__calls"); fi
    "$E2E_PYTHON" -c 'import json, sys
c = json.loads(sys.argv[1])
print(len(c), *[sum(1 for x in c if x["method"] == m) for m in ("GET", "POST", "PATCH")])' "$json"
}

## minus "A B C D" "E F G H" — element-wise difference.
minus() { "$E2E_PYTHON" -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); print(*[int(x) - int(y) for x, y in zip(a, b)])' "$1" "$2"; }

## start_pair STORE REFRESH REPUBLISH — both daemons on STORE; sets PID_A, PID_B.
start_pair() {
    local plugins
    if [[ $1 == cloudflare ]]; then plugins="  store: $(cloudflare_plugin_yaml)"
    else plugins="  store: { type: builtin, name: opendht, endpoints: [\"$COUNTER\"], timeout: 5s, republish_interval: $3 }"; fi
    E2E_REFRESH=$2
    local conf_a conf_b
    conf_a=$(write_store_config A B "plugin: store" "$plugins")
    conf_b=$(write_store_config B A "plugin: store" "$plugins")
    start_stunmeshd A "$conf_a"
    PID_A=$E2E_LAST_PID
    start_stunmeshd B "$conf_b"
    PID_B=$E2E_LAST_PID
}

stop_pair() {
    kill "$PID_A" "$PID_B" 2>/dev/null || true
    wait "$PID_A" "$PID_B" 2>/dev/null || true
}

RESULTS=()
for store in cloudflare opendht; do
    # --- steady state, time x60 ---
    # Fresh NAT state on both sides: a mapping left from the previous store's reconnect would let
    # WireGuard roam to the new port without any store call.
    nat_setup A eim
    nat_setup B eim
    start_pair "$store" 10s 5s
    wait_connected 60 "$PID_A" "$PID_B"
    sleep 3
    before=$(calls "$store")
    e2e_log "$store: steady state for $STEADY_SECONDS s (= $("$E2E_PYTHON" -c "print($STEADY_SECONDS * $SCALE / 3600)") h at the default intervals)"
    sleep "$STEADY_SECONDS"
    steady=$(minus "$(calls "$store")" "$before")
    tunnel_ping A B >/dev/null || e2e_fail "$store: the tunnel broke during the steady state"
    stop_pair

    # --- one reconnect, real time, default intervals ---
    nat_setup A eim
    nat_setup B eim
    start_pair "$store" 10m 5m
    wait_connected 60 "$PID_A" "$PID_B"
    sleep 3
    before=$(calls "$store")
    old=$(wg_endpoint A B)
    t0=$(date +%s.%N)
    nat_setup B pp
    deadline=$((SECONDS + 60))
    until [[ $(wg_endpoint A B) != "$old" ]] && tunnel_ping A B >/dev/null; do
        ((SECONDS < deadline)) || e2e_fail "$store: no reconnect within 60 s"
        sleep 0.1
    done
    restore=$("$E2E_PYTHON" -c "import time; print('%.1f' % (time.time() - $t0))")
    sleep 5
    reconnect=$(minus "$(calls "$store")" "$before")
    stop_pair
    e2e_log "$store: steady (x$SCALE) $steady; reconnect $reconnect in $restore s ($old -> $(wg_endpoint A B))"
    RESULTS+=("$store|$steady|$reconnect|$restore")
done

echo
echo "| store | steady state: calls per peer per hour (GET / POST / PATCH) | one reconnect: calls, both peers (GET / POST / PATCH) | restore |"
echo "|---|---|---|---|"
for row in "${RESULTS[@]}"; do
    IFS='|' read -r store steady reconnect restore <<<"$row"
    read -r s_total s_get s_post s_patch <<<"$steady"
    read -r r_total r_get r_post r_patch <<<"$reconnect"
    hours=$("$E2E_PYTHON" -c "print($STEADY_SECONDS * $SCALE / 3600)")
    per=$("$E2E_PYTHON" -c "h=$hours; print(' / '.join('%g' % (x / 2 / h) for x in ($s_total, $s_get, $s_post, $s_patch)))")
    echo "| $store (stunmeshd) | $per | $r_total ($r_get / $r_post / $r_patch) | $restore s |"
done
echo
echo "PASS bench/store_calls.sh ($(e2e_elapsed) s)"
