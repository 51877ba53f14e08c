#!/usr/bin/env bash
# Operations end-to-end: two peers behind two NATs, stunmeshd in both; A runs under a stand-in
# for systemd (NOTIFY_SOCKET owned by this test, WATCHDOG_USEC) with a metrics file. Checks:
#   - READY=1, STATUS=…peers up, WATCHDOG=1 arrive from A's pid;
#   - SIGUSR1: the health table in A's log, and the status JSON agrees with `wg show` in peerA
#     (endpoint, latest handshake, transfer), says up, and names the STUN mapping and the store;
#   - `stunmeshd status` and `status -json` while running (status file found through the config);
#   - the metrics file says the peer is up;
#   - SIGUSR2: every peer re-discovers (log), the tunnel keeps working, the repair ends;
#   - no private key (base64 or hex) in either daemon's log;
#   - SIGTERM: STOPPING=1, status file gone, `stunmeshd status` says not running (exit 3);
#   - two daemons whose configs name no status_file write different default files (named after
#     their config paths), and `stunmeshd status` without -c lists both.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

dir_a=$(e2e_peer_dir A)
status_a="$dir_a/status.json"
metrics_a="$dir_a/metrics.prom"
notify_log="$E2E_RUN/notify.log"
"$E2E_PYTHON" -I "$E2E_DIR/notify_listener.py" "$E2E_RUN/notify.sock" "$notify_log" 2>"$E2E_RUN/notify-listener.log" &
wait_for 5 grep -q listening "$notify_log" || e2e_fail "notify listener did not start"

conf_a=$(E2E_CONFIG_EXTRA="metrics_file: \"$metrics_a\"" write_stunmesh_config_peers A "$dir_a/config.yaml" B)
conf_b=$(write_stunmesh_config B A)
export NOTIFY_SOCKET="$E2E_RUN/notify.sock" WATCHDOG_USEC=2000000
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
unset NOTIFY_SOCKET WATCHDOG_USEC
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd in peerA (pid $pid_a, notify + watchdog) and peerB (pid $pid_b)"

alive() { kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null; }
connected() { wg_handshake_age A B && wg_handshake_age B A && tunnel_ping A B; }
until connected >/dev/null 2>&1; do
    alive || e2e_fail "a daemon exited"
    ((SECONDS < 60)) || e2e_fail "no tunnel within 60 s"
    sleep 0.5
done
e2e_log "tunnel up"

# --- systemd notifications ---------------------------------------------------------------
wait_for 10 grep -q "^pid=$pid_a READY=1$" "$notify_log" || e2e_fail "no READY=1 from pid $pid_a"
wait_for 10 grep -q "^pid=$pid_a WATCHDOG=1$" "$notify_log" || e2e_fail "no WATCHDOG=1 from pid $pid_a"
# STATUS= is sent when the summary changes; the status refresh runs every 10 s.
wait_for 25 grep -q "^pid=$pid_a STATUS=1/1 peers up$" "$notify_log" || e2e_fail "no STATUS=1/1 peers up"
echo "ok - READY=1, WATCHDOG=1 and STATUS=1/1 peers up from pid $pid_a"

# --- SIGUSR1: log table and status JSON against wg show ------------------------------------
wg_before=$(inpeer A wg show wg0 dump)
lines_before=$(wc -l <"$dir_a/stunmeshd.log")
kill -USR1 "$pid_a"
wait_for 10 bash -c "tail -n +$((lines_before + 1)) '$dir_a/stunmeshd.log' | grep -q 'peer: peer_b.*health=dump'" ||
    e2e_fail "no health table in A's log after SIGUSR1"
wg_after=$(inpeer A wg show wg0 dump)
tail -n +$((lines_before + 1)) "$dir_a/stunmeshd.log" | grep 'health=dump' | sed 's/^/    /' >&2
"$E2E_PYTHON" -I - "$status_a" "$(wg_pubkey B)" "$pid_a" "$wg_before" "$wg_after" <<'PY' || e2e_fail "status JSON disagrees with wg show"
import json, sys
path, key, pid, before, after = sys.argv[1:6]
status = json.load(open(path))
def peer_row(dump):
    for line in dump.splitlines()[1:]:
        f = line.split("\t")
        if f[0] == key:
            return {"endpoint": f[2], "handshake": int(f[4]), "rx": int(f[5]), "tx": int(f[6])}
    sys.exit(f"peer {key} not in wg show dump")
b, a = peer_row(before), peer_row(after)
assert status["stunmeshd"]["pid"] == int(pid), status["stunmeshd"]
[p] = status["peers"]
wg = p["wireguard"]
checks = [
    (p["peer"] == "peer_b" and p["public_key"] == key, "peer name/key"),
    (p["up"] is True, f"up: {p['up_reason']}"),
    (p["state"] == "monitoring", f"state {p['state']}"),
    (wg["endpoint"] in (b["endpoint"], a["endpoint"]), f"wg endpoint {wg['endpoint']} vs {b['endpoint']}"),
    (p["endpoint"]["address"] == wg["endpoint"], f"endpoint {p['endpoint']}"),
    (p["endpoint"]["origin"] in ("record", "roaming"), f"origin {p['endpoint']['origin']}"),
    (b["handshake"] <= wg["last_handshake"] <= a["handshake"], f"handshake {wg['last_handshake']} vs {b['handshake']}..{a['handshake']}"),
    (b["rx"] <= wg["rx_bytes"] <= a["rx"], f"rx {wg['rx_bytes']} vs {b['rx']}..{a['rx']}"),
    (b["tx"] <= wg["tx_bytes"] <= a["tx"], f"tx {wg['tx_bytes']} vs {b['tx']}..{a['tx']}"),
    (p["stun"] and p["stun"][0]["server"] == "203.0.113.1:3478" and p["stun"][0]["mapped"].startswith("203.0.113.10:"), f"stun {p['stun']}"),
    (status["schema"] == 2, f"schema {status.get('schema')}"),
    (p["stores"][0]["plugin"] == "store" and p["stores"][0]["calls"]["get"] >= 1 and p["stores"][0]["healthy"] is True,
     f"stores {p['stores']}"),
    (p["ping"]["target"] == "10.99.0.2", f"ping {p['ping']}"),
    (status["summary"]["up"] == 1, "summary"),
]
bad = [why for ok, why in checks if not ok]
if bad:
    print("status.json:", json.dumps(p, indent=1), file=sys.stderr)
    sys.exit("; ".join(bad))
print(f"ok - status JSON matches wg show: endpoint {wg['endpoint']} ({p['endpoint']['origin']}), handshake {wg['last_handshake']}, rx {wg['rx_bytes']}")
PY

# --- stunmeshd status, finding the file through the config -----------------------------------
table=$(inpeer A "$E2E_STUNMESHD" -c "$conf_a" status) || e2e_fail "stunmeshd status failed while running"
grep -q "peer: peer_b ($(wg_pubkey B))" <<<"$table" || e2e_fail "status table lacks peer_b: $table"
grep -q "up: yes" <<<"$table" || e2e_fail "status table does not say up: $table"
echo "$table" | sed 's/^/    /'
inpeer A "$E2E_STUNMESHD" -c "$conf_a" status -json | "$E2E_PYTHON" -I -c '
import json, sys
s = json.load(sys.stdin)
assert s["stunmeshd"]["pid"] == int(sys.argv[1]) and s["peers"][0]["peer"] == "peer_b", s
' "$pid_a" || e2e_fail "status -json is not the running daemon's JSON"
echo "ok - stunmeshd status and status -json while running"

grep -q '^stunmeshd_peer_up{interface="wg0",peer="peer_b"} 1$' "$metrics_a" || e2e_fail "metrics: peer not up: $(cat "$metrics_a")"
grep -q '^stunmeshd_store_calls_total{interface="wg0",peer="peer_b",store="store",operation="get"} [1-9]' "$metrics_a" ||
    e2e_fail "metrics: no store calls"
echo "ok - metrics file says peer_b is up"

# --- SIGUSR2: immediate re-discovery of every peer --------------------------------------------
lines_before=$(wc -l <"$dir_a/stunmeshd.log")
kill -USR2 "$pid_a"
new_log() { tail -n +$((lines_before + 1)) "$dir_a/stunmeshd.log"; }
wait_for 5 bash -c "$(declare -f new_log); lines_before=$lines_before dir_a='$dir_a'; new_log | grep -q 'SIGUSR2: re-discovering every peer'" ||
    e2e_fail "no SIGUSR2 log line"
wait_for 5 bash -c "$(declare -f new_log); lines_before=$lines_before dir_a='$dir_a'; new_log | grep -q 'manual: re-discovering now'" ||
    e2e_fail "SIGUSR2 did not start a re-discovery"
wait_for 5 bash -c "$(declare -f new_log); lines_before=$lines_before dir_a='$dir_a'; new_log | grep -q 'msg=discovered'" ||
    e2e_fail "no discovery after SIGUSR2"
# A re-discovery on a working path is not a repair: no "path failed", the peer is back in
# monitoring once the unchanged record has been read.
wait_for 10 bash -c "$(declare -f new_log); lines_before=$lines_before dir_a='$dir_a'; new_log | grep -q 'remote endpoint unchanged'" ||
    e2e_fail "the SIGUSR2 re-discovery did not end in monitoring"
new_log | grep -q 'path failed' && e2e_fail "SIGUSR2 declared the path failed"
tunnel_ping A B >/dev/null || e2e_fail "tunnel broken after SIGUSR2"
kill -USR1 "$pid_a"
sleep 1
"$E2E_PYTHON" -I -c '
import json, sys
p = json.load(open(sys.argv[1]))["peers"][0]
assert p["last_signal"]["signal"] == "manual", p["last_signal"]
assert p["repairing"] is None and p["state"] == "monitoring", (p["repairing"], p["state"])
signal = p["last_signal"]
print(f"ok - SIGUSR2 re-discovered; back in monitoring, last signal {signal}")
' "$status_a" || e2e_fail "status after SIGUSR2"

# --- no secrets in the logs ------------------------------------------------------------------
for side in A B; do
    priv=$(cat "$(e2e_peer_dir "$side")/private.key")
    priv_hex=$("$E2E_PYTHON" -I -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex())' "$priv")
    for log in "$(e2e_peer_dir A)/stunmeshd.log" "$(e2e_peer_dir B)/stunmeshd.log"; do
        if grep -qiF -e "$priv" -e "$priv_hex" -e "${priv:0:20}" -e "${priv_hex:0:24}" "$log"; then
            e2e_fail "peer$side's private key appears in $log"
        fi
    done
done
echo "ok - no private key in either daemon's log ($(wc -l <"$dir_a/stunmeshd.log") + $(wc -l <"$(e2e_peer_dir B)/stunmeshd.log") lines)"

# --- SIGTERM: STOPPING=1, status file removed, status says not running ------------------------
kill -TERM "$pid_a"
wait_for 10 bash -c "! kill -0 $pid_a" || e2e_fail "A did not stop on SIGTERM"
wait "$pid_a" || e2e_fail "A exited non-zero on SIGTERM"
grep -q "^pid=$pid_a STOPPING=1$" "$notify_log" || e2e_fail "no STOPPING=1"
[[ ! -e $status_a ]] || e2e_fail "status file left behind"
rc=0 rc_json=0
out=$(inpeer A "$E2E_STUNMESHD" -c "$conf_a" status 2>&1) || rc=$?
out_json=$(inpeer A "$E2E_STUNMESHD" -c "$conf_a" status -json 2>/dev/null) || rc_json=$?
((rc == 3 && rc_json == 3)) || e2e_fail "status exit $rc / $rc_json after stop, want 3: $out"
[[ $out == "stunmeshd is not running"* ]] || e2e_fail "status after stop says: $out"
[[ -z $out_json ]] || e2e_fail "status -json printed something after stop: $out_json"
# A stale file from a dead daemon (pid gone) is not taken for a running one.
echo "{\"stunmeshd\":{\"pid\":$pid_a,\"written_at\":$(date +%s),\"refresh_s\":10},\"peers\":[]}" >"$status_a"
rc=0
out=$(inpeer A "$E2E_STUNMESHD" status -status-file "$status_a" 2>&1) || rc=$?
((rc == 3)) || e2e_fail "stale status file: exit $rc: $out"
echo "ok - after SIGTERM: STOPPING=1, no status file, 'stunmeshd status' exits 3: $out"

# --- two daemons, default status files ---------------------------------------------------------
kill -TERM "$pid_b"
wait_for 10 bash -c "! kill -0 $pid_b" || e2e_fail "B did not stop on SIGTERM"
rm -f "$status_a"
for p in A B; do
    grep -v '^status_file:' "$(e2e_peer_dir "$p")/config.yaml" >"$(e2e_peer_dir "$p")/default-status.yaml"
done
mkdir -p /run/stunmeshd
start_stunmeshd A "$dir_a/default-status.yaml"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$(e2e_peer_dir B)/default-status.yaml"
pid_b=$E2E_LAST_PID
slug() { sed 's|^/||; s|/|-|g' <<<"$(realpath "$1")"; }
pattern_a="/run/stunmeshd/status-$(slug "$dir_a/default-status.yaml")-*.json"
pattern_b="/run/stunmeshd/status-$(slug "$(e2e_peer_dir B)/default-status.yaml")-*.json"
wait_for 15 bash -c "ls $pattern_a && ls $pattern_b" >/dev/null 2>&1 ||
    e2e_fail "no default status files named after the configs: $(ls /run/stunmeshd)"
file_a=$(ls $pattern_a)
file_b=$(ls $pattern_b)
[[ $file_a != "$file_b" ]] || e2e_fail "both daemons write $file_a"
listing=$(cd /tmp && env -u STUNMESH_CONFIG_DIR HOME=/nonexistent "$E2E_STUNMESHD" status 2>&1) ||
    e2e_fail "status without -c failed: $listing"
echo "$listing"
grep -q "^stunmeshd daemons running: " <<<"$listing" && grep -q "pid $pid_a, config " <<<"$listing" &&
    grep -q "pid $pid_b, config " <<<"$listing" || e2e_fail "status without -c does not list both daemons"
one=$("$E2E_STUNMESHD" -c "$dir_a/default-status.yaml" status 2>&1) || e2e_fail "status -c A's config failed: $one"
grep -q "(pid $pid_a)" <<<"$one" || e2e_fail "status -c A's config does not show A's daemon: $one"
kill -TERM "$pid_a" "$pid_b"
wait_for 10 bash -c "! kill -0 $pid_a && ! kill -0 $pid_b" || e2e_fail "the daemons did not stop"
[[ ! -e $file_a && ! -e $file_b ]] || e2e_fail "default status files left behind"
echo "ok - two daemons without status_file: $(basename "$file_a") and $(basename "$file_b"); status lists both"
echo "PASS test_ops_status ($(e2e_elapsed) s)"
