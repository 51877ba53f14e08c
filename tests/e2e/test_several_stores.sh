#!/usr/bin/env bash
# Two peers behind two NATs, each with two stores (`plugin: cf` + `extra_plugins: [dht]`): the Cloudflare stand-in
# and a real two-node OpenDHT, both in the "internet" namespace.
#
# 1. Cloudflare hangs (every call sleeps 60 s) from the start: the tunnel still comes up through
#    OpenDHT within seconds, because a round waits at most 1 s for the other stores once one has
#    given a good answer.
# 2. Cloudflare comes back and OpenDHT dies (both nodes killed): the next refreshes write both
#    records to Cloudflare, reads go on from Cloudflare alone, the tunnel keeps working, and the
#    daemon reports the dead store.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_several_stores.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

BOUND=${E2E_BOUND:-20}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_fake_cloudflare
start_opendht
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

cloudflare_control '{"mode": "slow", "delay": 60}'
E2E_REFRESH=4s
plugins="  cf: $(cloudflare_plugin_yaml)
  dht: $(opendht_plugin_yaml)"
conf_a=$(write_store_config A B "plugin: cf, extra_plugins: [dht]" "$plugins")
conf_b=$(write_store_config B A "plugin: cf, extra_plugins: [dht]" "$plugins")
t_start=$(e2e_elapsed)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b), stores: Cloudflare (hung) and OpenDHT"

wait_connected "$BOUND" "$pid_a" "$pid_b"
t_up=$(e2e_elapsed)
echo "ok - handshake and ping $(awk -v a="$t_start" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after" \
    "start with Cloudflare hung (60 s per call) and OpenDHT working"

# --- 2. Cloudflare back, OpenDHT gone -------------------------------------------------------------
cloudflare_control '{"mode": "ok"}'
dht_pids=$(ip netns pids "$(ns inet)" | while read -r p; do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == dhtnode ]] && echo "$p"; done)
[[ -n $dht_pids ]] || e2e_fail "no dhtnode process found in inet"
# shellcheck disable=SC2086
kill $dht_pids
log_a="$(e2e_peer_dir A)/stunmeshd.log"
e2e_log "Cloudflare answers again; OpenDHT killed (pids $(echo $dht_pids))"

count_records() {
    http_in inet GET "${E2E_CF_URL%/client/v4}/__records" | "$E2E_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
records=0
for ((i = 0; i < 60 && records != 2; i++)); do
    sleep 0.5
    records=$(count_records)
done
((records == 2)) || e2e_fail "Cloudflare did not get both records after it came back ($records records)"
# Calls sent while Cloudflare hung end within its 10 s timeout; after that, a few more refreshes
# read from Cloudflare alone.
sleep 10
lines_before=$(wc -l <"$log_a")
sleep 10
kill -0 "$pid_a" && kill -0 "$pid_b" || e2e_fail "a daemon exited"
tunnel_ping A B 3 >/dev/null || e2e_fail "the tunnel stopped working after OpenDHT died"
after=$(tail -n "+$((lines_before + 1))" "$log_a")
grep -q 'store=dht' <<<"$(grep 'store .* failed' "$log_a")" || e2e_fail "peerA did not report the dead OpenDHT store"
if grep -q "reading the peer's record failed" <<<"$after"; then
    e2e_fail "a read failed although Cloudflare answered: $(grep "reading the peer's record failed" <<<"$after" | head -1)"
fi
grep -q 'remote endpoint unchanged' <<<"$after" || e2e_fail "no refresh read the peer's record from Cloudflare"
echo "ok - OpenDHT dead: both records now in Cloudflare, reads from Cloudflare alone, tunnel up, dead store reported"
echo "PASS test_several_stores ($(e2e_elapsed) s)"
