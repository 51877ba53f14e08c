#!/usr/bin/env bash
# Two WireGuard peers behind two NATs, each running stunmeshd with the Cloudflare builtin as its only
# store, pointed (api_url) at tests/support/fake_cloudflare.py in the "internet" namespace: a local
# stand-in for the documented v4 endpoints (this machine cannot reach Cloudflare).
#
# 1. Both peers handshake and ping with no manual step; the records are TXT records named
#    <key>.wg.example.com holding raw hex, created with the comment "Stunmesh".
# 2. A store failure never loses a working tunnel: the stand-in answers every call with an error
#    for a while (refresh_interval 3s, so several refreshes fail): pings keep going through, the
#    endpoints stay as they were, the daemon backs off (growing retry delays) and says the store
#    failed; when the store is back, it says so and returns to monitoring.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_cloudflare.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

BOUND=${E2E_BOUND:-60}
FAILURE_SECONDS=${E2E_FAILURE_SECONDS:-20}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_fake_cloudflare
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

E2E_REFRESH=3s
plugins="  cf: $(cloudflare_plugin_yaml)"
conf_a=$(write_store_config A B "plugin: cf" "$plugins")
conf_b=$(write_store_config B A "plugin: cf" "$plugins")
t_start=$(e2e_elapsed)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b), store: Cloudflare stand-in"

wait_connected "$BOUND" "$pid_a" "$pid_b"
t_up=$(e2e_elapsed)
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B -> A through the tunnel failed"
maps_libcurl "$pid_a" "$pid_b"
echo "ok - handshake and ping $(awk -v a="$t_start" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after" \
    "starting stunmeshd with Cloudflare; A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"

records=$(http_in inet GET "${E2E_CF_URL%/client/v4}/__records")
"$E2E_PYTHON" - "$records" <<'PY' || e2e_fail "the TXT records are not what stunmesh-go writes: $records"
import json, re, sys
records = json.loads(sys.argv[1])
assert len(records) == 2, records
for r in records:
    assert r["type"] == "TXT" and r["comment"] == "Stunmesh", r
    assert re.fullmatch(r"[0-9a-f]{40}\.wg\.example\.com", r["name"]), r["name"]
    assert re.fullmatch(r"[0-9a-f]+", r["content"]) and len(r["content"]) > 80, r["content"]
PY
echo "ok - two TXT records <sha1>.wg.example.com with raw hex content and comment Stunmesh"

# --- 2. the store fails while the tunnel is up ---------------------------------------------------
log_a="$(e2e_peer_dir A)/stunmeshd.log"
endpoint_ab=$(wg_endpoint A B)
endpoint_ba=$(wg_endpoint B A)
lines_before=$(wc -l <"$log_a")
cloudflare_control '{"mode": "error", "error_message": "Internal error"}'
e2e_log "Cloudflare stand-in now fails every call, for $FAILURE_SECONDS s"
sent=0 received=0
deadline=$((SECONDS + FAILURE_SECONDS))
while ((SECONDS < deadline)); do
    sent=$((sent + 1))
    if tunnel_ping A B >/dev/null; then received=$((received + 1)); fi
    sleep 0.5
done
kill -0 "$pid_a" && kill -0 "$pid_b" || e2e_fail "a daemon exited while the store failed"
[[ $(wg_endpoint A B) == "$endpoint_ab" && $(wg_endpoint B A) == "$endpoint_ba" ]] ||
    e2e_fail "an endpoint changed while the store failed: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"
((received * 10 >= sent * 9)) || e2e_fail "pings during the store failure: only $received of $sent answered"
failure_log=$(tail -n "+$((lines_before + 1))" "$log_a")
grep -q 'msg="store get failed: cloudflare example.com: GET /zones/' <<<"$failure_log" ||
    e2e_fail "peerA did not report the store failure"
mapfile -t delays < <(grep -o 'reading the peer.s record failed.*retry in [0-9.]* s' <<<"$failure_log" | grep -o '[0-9.]* s$' | tr -d ' s')
((${#delays[@]} >= 3)) || e2e_fail "expected several retries, saw ${#delays[@]}"
"$E2E_PYTHON" -c 'import sys; d=[float(x) for x in sys.argv[1:]]; sys.exit(0 if d[-1] >= 2 * d[0] else 1)' "${delays[@]}" ||
    e2e_fail "the retries do not back off: ${delays[*]}"
echo "ok - store failing for $FAILURE_SECONDS s: $received/$sent tunnel pings answered, endpoints kept," \
    "retries backed off (${delays[*]} s)"

cloudflare_control '{"mode": "ok"}'
wait_for 70 grep -q 'msg="store works again"' "$log_a" || e2e_fail "peerA never saw the store work again"
tunnel_ping A B 2 >/dev/null || e2e_fail "the tunnel stopped working"
echo "ok - store back: peerA reported it and the tunnel still works"
echo "PASS test_cloudflare ($(e2e_elapsed) s)"
