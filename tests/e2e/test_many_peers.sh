#!/usr/bin/env bash
# A hub (issue #15, scaled down to fit CI): one daemon in peerA manages 300 peers on its wg0 — 299
# with random public keys whose partners never publish, and B behind natB with its own daemon —
# daemon defaults, file store, log level info, both started together, a ping A → B through the
# tunnel every 50 ms from the start. Passes when:
#   1. B answers within 5 s of the start (the 299 others' first reads and discoveries do not hold the
#      live partner back);
#   2. A's log has at most 100 lines in its first 30 s (repeated per-peer lines are summarised);
#   3. `stunmeshd status` prints a summary (299 not up, in groups by state; 1 up), `status -peer peer_b` that peer's
#      details, and an unknown `-peer` exits 1;
#   4. the daemon reads the store for the waiting peers no faster than its budget allows.
# bench/scale.sh measures the same scene at 10, 100 and 1,000 peers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
N=300
hub_scene_up "$N"
conf_a=$HUB_CONF_A conf_b=$HUB_CONF_B
inpeer_bg A reach ping -n -i 0.05 -W 1 "${E2E_TUN_IP[B]}"
pinger=$E2E_LAST_PID
t0=$(now_ts)
start_stunmeshd A "$conf_a"
start_stunmeshd B "$conf_b"
log_a=$(daemon_log A)
wait_for 5 grep -q "bytes from" "$(e2e_peer_dir A)/reach.log" ||
    e2e_fail "B did not answer within 5 s of the start ($(wc -l <"$log_a") log lines so far)"
reach=$(seconds_since "$t0")
kill -INT "$pinger" 2>/dev/null || true
e2e_log "B answered $reach s after the start"

sleep "$(awk -v t0="$t0" -v now="$(now_ts)" 'BEGIN { d = 30 - (now - t0); print (d > 0 ? d : 0) }')"
daemons_alive
lines=$(wc -l <"$log_a")
((lines <= 100)) || e2e_fail "A logged $lines lines in its first 30 s: $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^msg=/) print $i }' "$log_a" | sort | uniq -c | sort -rn | head -5 | tr '\n' ' ')"
grep -q 'msg=published .*peers=[0-9]* repeated=' "$log_a" || e2e_fail "no summary of the peers' publishes in A's log"

table=$(inpeer A "$E2E_STUNMESHD" -c "$conf_a" status) || e2e_fail "stunmeshd status failed"
grep -q "^$N peers (details of one: stunmeshd status -peer NAME; of all: -all):" <<<"$table" ||
    e2e_fail "status printed no summary: $(head -c 600 <<<"$table")"
notup=$(awk '/^  [0-9]+ not up: / { s += $1 } END { print s + 0 }' <<<"$table")
((notup == N - 1)) || e2e_fail "status: $notup peers summarised as not up, want $((N - 1)): $table"
grep -q "^  1 up: peer_b" <<<"$table" || e2e_fail "status: peer_b is not up: $table"
((  $(wc -l <<<"$table") < 12 )) || e2e_fail "status printed $(wc -l <<<"$table") lines for $N peers"
one=$(inpeer A "$E2E_STUNMESHD" -c "$conf_a" status -peer peer_b) || e2e_fail "status -peer peer_b failed"
grep -q "peer: peer_b" <<<"$one" && grep -q "latest handshake" <<<"$one" || e2e_fail "status -peer peer_b: $one"
rc=0; inpeer A "$E2E_STUNMESHD" -c "$conf_a" status -peer nobody >/dev/null 2>&1 || rc=$?
((rc == 1)) || e2e_fail "status -peer nobody: exit $rc, want 1"

# The file store's budget is 10 reads a second; the waiting peers read far less once started.
reads=$("$E2E_PYTHON" -I -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(int(sum(s["calls"].get("get", 0) for s in d.get("stores", []))))' "$(e2e_peer_dir A)/status.json")
((reads <= 10 * 40 + 20)) || e2e_fail "A read the store $reads times in ~40 s"
daemons_alive
echo "ok - $N peers: B answered $reach s after the start; $lines log lines in 30 s; status summarised; $reads store reads"
echo "PASS test_many_peers ($(e2e_elapsed) s)"
