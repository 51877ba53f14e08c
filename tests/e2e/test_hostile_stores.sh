#!/usr/bin/env bash
# Store servers that lie (issue #16's "hostile store answers"): two peers behind two NATs, each with
# the file store (it works) plus a Cloudflare store and an OpenDHT store that both point at
# tests/support/hostile_store.py in the "internet" namespace, and an exec plugin that answers as
# badly (`extra_plugins: [cf, dht, ex]`; the plugin's answer for each mode is in hostile_plugin below). Once the tunnel is
# up, the server answers every request with one hostile answer after another — a lying
# Content-Length both ways, 8 MiB bodies with and without a length, a 1 MiB header, 200,000-deep
# JSON arrays and objects, numbers out of every range, NaN and Infinity, random bytes, records
# nobody sealed, wrong JSON types, an endless listen stream, 429 with a Retry-After of -5, NaN and
# 1e19 — each until both daemons have met it from both stores (SIGUSR2 and a 3 s refresh make them
# ask). Cloudflare's first 429 (Retry-After 1e19) blocks that store for the hour the daemon believes
# at most, so the two later 429 answers reach only OpenDHT (CloudflareAnswerTests read all three).
#
# Checked: both daemons keep running; WireGuard is untouched (each peer's endpoint, keepalive and
# allowed IPs exactly as before; the tunnel answers pings throughout); neither daemon's memory
# high-water mark passes 64 MB (the bodies are refused at their size limits, not kept); the logs
# name the failures of the three stores, quoting answers short; no hostile record is ever configured.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_hostile_stores.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

BOUND=${E2E_BOUND:-30}
PER_MODE=${E2E_PER_MODE:-25}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
hostile_dir="$E2E_RUN/hostile"
mkdir -p "$hostile_dir"
in_ns inet "$E2E_PYTHON" -I "$E2E_ROOT/tests/support/hostile_store.py" --host "$E2E_STUN1" \
    --port-file "$hostile_dir/port" >"$hostile_dir/server.log" 2>&1 &
wait_for 10 test -s "$hostile_dir/port" || e2e_fail "the hostile store server did not start"
hostile_url="http://$E2E_STUN1:$(cat "$hostile_dir/port")"
hostile() { http_in inet "$@"; }
# The exec plugin (stunmesh-go's protocol): it logs "MODE SIDE" per call and answers as MODE says.
echo ok >"$hostile_dir/plugin_mode"
cat >"$hostile_dir/plugin.sh" <<'PLUGIN'
dir=$(dirname "$0") side=$1
mode=$(cat "$dir/plugin_mode")
read -r request
echo "$mode $side" >>"$dir/plugin_calls"
hex=$(head -c 120 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
case $mode in
ok) [[ $request == *'"get"'* ]] && echo '{"success":false,"error":"not found"}' || echo '{"success":true}' ;;
lying_short) printf '{"success":true,"value":"ab' ;;
lying_long) echo "{\"success\":true,\"value\":\"$hex\"}"; head -c 65536 /dev/zero ;;
huge|huge_chunked|flood) printf '{"success":true,"value":"'; yes a | tr -d '\n' | head -c 67108864 ;;
huge_header|retry_huge) head -c 2097152 /dev/zero | tr '\0' e >&2; exit 1 ;;
deep_array) head -c 200000 /dev/zero | tr '\0' '[' ;;
deep_object) for _ in $(seq 2000); do printf '{"a":%.0s' {1..100}; done ;;
numbers) echo "{\"success\":1e400,\"value\":\"$hex\",\"error\":-1}" ;;
nan) echo '{"success":NaN,"value":Infinity}' ;;
binary) head -c 65536 /dev/urandom ;;
forged) echo "{\"success\":true,\"value\":\"$hex\"}" ;;
wrong_types) echo '{"success":"true","value":["ab"],"error":{}}' ;;
retry_negative) echo '{"success":false}' ;;
retry_nan) sleep 3600 ;; # the last mode: a plugin that never answers (killed at its 30 s timeout)
esac
PLUGIN
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

E2E_REFRESH=3s
plugins="  store: { type: builtin, name: file, directory: \"$E2E_STORE\" }
  cf: { type: builtin, name: cloudflare, zone: example.com, subdomain: wg, token: \"$E2E_CF_TOKEN\", api_url: \"$hostile_url/client/v4\" }
  dht: { type: builtin, name: opendht, endpoints: [\"$hostile_url\"], timeout: 3s }"
conf_a=$(write_store_config A B "plugin: store, extra_plugins: [cf, dht, ex]" "$plugins
  ex: { type: exec, command: /bin/bash, args: [\"$hostile_dir/plugin.sh\", A] }")
conf_b=$(write_store_config B A "plugin: store, extra_plugins: [cf, dht, ex]" "$plugins
  ex: { type: exec, command: /bin/bash, args: [\"$hostile_dir/plugin.sh\", B] }")
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
wait_connected "$BOUND" "$pid_a" "$pid_b"
echo "ok - tunnel up through the file store beside the two hostile stores"

## wg_fixed PEER — the peer's WireGuard peer line without the fields that move by themselves
## (handshake time, byte counters): public key, preshared key, endpoint, allowed IPs, keepalive.
wg_fixed() { inpeer "$1" wg show wg0 dump | awk 'NR > 1 { print $1, $2, $3, $4, $8 }'; }
## keepalives_given — both peers have their keepalive back (the responder holds it while opening).
keepalives_given() { [[ $(wg_fixed A | awk '{ print $5 }') == 5 && $(wg_fixed B | awk '{ print $5 }') == 5 ]]; }
wait_for 15 keepalives_given || e2e_fail "the keepalives never came back: A: $(wg_fixed A) B: $(wg_fixed B)"
fixed_a=$(wg_fixed A)
fixed_b=$(wg_fixed B)
e2e_log "WireGuard before: A: $fixed_a | B: $fixed_b"
lines_a=$(wc -l <"$(daemon_log A)")
lines_b=$(wc -l <"$(daemon_log B)")

modes=(lying_short lying_long huge huge_chunked huge_header deep_array deep_object numbers nan binary
    forged wrong_types flood retry_huge retry_negative retry_nan)
## served KEY — requests the server answered under KEY ("MODE" or "MODE KIND CLIENT") so far.
served() {
    hostile GET "$hostile_url/__calls" | "$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}
## met MODE — both daemons have met MODE from OpenDHT, from the plugin, and from Cloudflare unless
## it is blocked.
met() {
    local side kind kinds="dht cf"
    [[ $1 == retry_negative || $1 == retry_nan ]] && kinds=dht
    for side in A B; do
        for kind in $kinds; do
            (($(served "$1 $kind ${E2E_WAN[$side]}") >= 1)) || return 1
        done
        grep -qx "$1 $side" "$hostile_dir/plugin_calls" 2>/dev/null || return 1
    done
}
pings=0 answered=0
for mode in "${modes[@]}"; do
    hostile POST "$hostile_url/__control" "{\"mode\": \"$mode\"}" >/dev/null
    echo "$mode" >"$hostile_dir/plugin_mode"
    kill -USR2 "$pid_a" "$pid_b"
    deadline=$((SECONDS + PER_MODE))
    until met "$mode"; do
        daemons_alive
        ((SECONDS < deadline)) || e2e_fail "mode $mode: not met by both daemons from both stores in $PER_MODE s: $(hostile GET "$hostile_url/__calls")"
        pings=$((pings + 1))
        if tunnel_ping A B >/dev/null; then answered=$((answered + 1)); fi
        sleep 0.5
    done
    daemons_alive
    e2e_log "mode $mode: $(served "$mode") requests answered with it; both daemons running"
done
echo "ok - ${#modes[@]} kinds of hostile answer, each met by both daemons: both still running"

hostile POST "$hostile_url/__control" '{"mode": "ok"}' >/dev/null
echo ok >"$hostile_dir/plugin_mode"
sleep 4
daemons_alive
[[ $(wg_fixed A) == "$fixed_a" ]] || e2e_fail "peerA's WireGuard changed: $(wg_fixed A) (was $fixed_a)"
[[ $(wg_fixed B) == "$fixed_b" ]] || e2e_fail "peerB's WireGuard changed: $(wg_fixed B) (was $fixed_b)"
tunnel_ping A B 3 >/dev/null && tunnel_ping B A 3 >/dev/null || e2e_fail "the tunnel no longer answers"
((answered * 10 >= pings * 9)) || e2e_fail "tunnel pings during the hostile answers: only $answered of $pings answered"
echo "ok - WireGuard untouched (endpoints, keepalives, allowed IPs as before); $answered of $pings tunnel pings answered meanwhile"

for pid in "$pid_a" "$pid_b"; do
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
    ((hwm < 64 * 1024)) || e2e_fail "stunmeshd $pid reached $((hwm / 1024)) MB of memory (VmHWM)"
    e2e_log "stunmeshd $pid VmHWM $((hwm / 1024)) MB"
done
echo "ok - memory high-water marks under 64 MB"

new_a=$(tail -n "+$((lines_a + 1))" "$(daemon_log A)")
new_b=$(tail -n "+$((lines_b + 1))" "$(daemon_log B)")
for who in a b; do
    text=$([[ $who == a ]] && echo "$new_a" || echo "$new_b")
    grep -q 'cloudflare example.com' <<<"$text" || e2e_fail "peer ${who^^}'s log never named the Cloudflare store's failures"
    grep -q "opendht $hostile_url\|$hostile_url" <<<"$text" || e2e_fail "peer ${who^^}'s log never named the OpenDHT store's failures"
    grep -q "store=ex" <<<"$text" || e2e_fail "peer ${who^^}'s log never named the plugin's failures"
    if grep -q 'endpoint set' <<<"$text"; then
        e2e_fail "peer ${who^^} configured an endpoint during the hostile answers: $(grep 'endpoint set' <<<"$text" | head -3)"
    fi
done
echo "ok - both logs name the three stores' failures; no endpoint was configured from them"
for peer in A B; do
    longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$(daemon_log "$peer")")
    ((longest <= 4096)) || e2e_fail "peer$peer logged a line of $longest characters (a hostile answer copied whole)"
done
echo "ok - no log line longer than 4 kB (answers are quoted short)"
for peer in A B; do
    grep -q "HTTP 429, rate limited; every call is blocked for 1h00m\b" "$(daemon_log "$peer")" ||
        e2e_fail "peer$peer did not cap Retry-After 1e19 at an hour: $(grep -o 'every call is blocked for [^"]*' "$(daemon_log "$peer")" | head -2)"
done
echo "ok - Retry-After: 1e19 believed for an hour at most"
echo "PASS test_hostile_stores ($(e2e_elapsed) s)"
