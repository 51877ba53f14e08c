#!/usr/bin/env bash
# Two WireGuard peers behind two NATs, each running stunmeshd with OpenDHT as its only store:
# two real dhtnode instances with their HTTP proxies in the "internet" namespace, reached through
# the NATs. Passes when both peers handshake and ping through the tunnel with no manual step, and
# the record is republished on the OpenDHT timer (republish_interval 4s here, 5m by default).
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_opendht.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

BOUND=${E2E_BOUND:-60}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_opendht
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

plugins="  dht: $(opendht_plugin_yaml 4s)"
conf_a=$(write_store_config A B "plugin: dht" "$plugins")
conf_b=$(write_store_config B A "plugin: dht" "$plugins")
t_start=$(e2e_elapsed)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b), store: OpenDHT"

wait_connected "$BOUND" "$pid_a" "$pid_b"
t_up=$(e2e_elapsed)
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B -> A through the tunnel failed"
maps_libcurl "$pid_a" "$pid_b"
log_a="$(e2e_peer_dir A)/stunmeshd.log"
grep -q 'published.*written=dht' "$log_a" || e2e_fail "peerA never logged a publish to the dht store"

# Expiring store: the record is rewritten every republish_interval, without a refresh.
wait_for 15 bash -c "(( \$(grep -c 'republishing before' '$log_a') >= 2 ))" ||
    e2e_fail "peerA did not republish its record on the OpenDHT timer"
tunnel_ping A B 2 >/dev/null || e2e_fail "the tunnel stopped working"
kill -0 "$pid_a" && kill -0 "$pid_b" || e2e_fail "a daemon exited"

echo "ok - handshake and ping $(awk -v a="$t_start" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after" \
    "starting stunmeshd with OpenDHT; A->B $(wg_endpoint A B), B->A $(wg_endpoint B A);" \
    "republished $(grep -c 'republishing before' "$log_a") times"
echo "PASS test_opendht ($(e2e_elapsed) s)"
