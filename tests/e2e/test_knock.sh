#!/usr/bin/env bash
# The knock (docs/path-judgement.md): with the tunnel up and idle, A's NAT gives A a new public port
# (conntrack flushed: no event on A's host). Keepalives are 100 s on both sides and the idle mapping
# check runs every 5 minutes (the default), so A does not find out by itself within the test. Then
# traffic starts on B's side: B finds the path dead from its own traffic, its repair finds neither
# side moved and knocks (writes its unchanged record again); A, watching B's record in the file
# store, checks its own mapping at once and republishes. Passes when B reaches A within 8 s of its
# first packet, with the knock and A's check in the logs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
export E2E_KEEPALIVE=100 E2E_REFRESH=10m

daemon_pair_up
before=$(wg_endpoint B A)
sleep 2
fault_nat_port A
new="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT" A)"
e2e_log "fault: natA now maps A's port $E2E_WG_PORT to $new (was $before); both sides idle"
sleep 3
log_a=$(daemon_log A) log_b=$(daemon_log B)
grep -q 'our public mapping moved' "$log_a" && e2e_fail "A found the move by itself before the traffic: the test proves nothing"

inpeer_bg B resume ping -n -i 0.2 -W 1 "${E2E_TUN_IP[A]}"
pinger=$E2E_LAST_PID
t0=$(now_ts)
wait_for 8 grep -q "bytes from" "$(e2e_peer_dir B)/resume.log" || {
    kill -INT "$pinger" 2>/dev/null || true
    e2e_fail "B did not reach A within 8 s of its first packet (knock: $(grep -c 'telling the peer through the store' "$log_b"))"
}
dt=$(seconds_since "$t0")
kill -INT "$pinger" 2>/dev/null || true
grep -q 'telling the peer through the store' "$log_b" || e2e_fail "B never knocked"
grep -q "the peer's record changed: checking our mapping" "$log_a" || e2e_fail "A did not check its mapping on B's knock"
grep -q "msg=published .*record=.*${new//./\\.}" "$log_a" || e2e_fail "A never published its new mapping $new"
wait_for 5 test "$(wg_endpoint B A)" == "$new" || e2e_fail "B's endpoint for A is $(wg_endpoint B A), expected $new"
daemons_alive

echo "ok - idle re-mapping of A, traffic from B: B knocked, A checked and republished; B reached A $dt s after its first packet"
echo "PASS test_knock ($(e2e_elapsed) s)"
