#!/usr/bin/env bash
# The idle mapping check (MappingCheck, docs/path-judgement.md): with the tunnel up and idle, A's NAT
# gives A a new public port (conntrack flushed: no event on A's host). Keepalives are 100 s on both
# sides, so nothing either side sends within the test notices: only A's STUN check of its own
# mapping (monitor.mapping_check_interval, 10 s here; 5 minutes by default) can. Passes when A logs
# the move within 25 s, B's WireGuard gets A's new endpoint, and B (the side that was not re-mapped)
# then reaches A through the tunnel — A sent toward B from its new mapping, which its NAT needs
# before it lets B's packets in — with no repair on either side and no more checks than the interval
# allows.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
export E2E_KEEPALIVE=100 E2E_MAPPING_CHECK=10s E2E_REFRESH=10m

daemon_pair_up
before=$(wg_endpoint B A)
sleep 2
fault_nat_port A
t0=$(now_ts)
new="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT" A)"
e2e_log "fault: natA now maps A's port $E2E_WG_PORT to $new (was $before); nothing is sent for 100 s"

log_a=$(daemon_log A) log_b=$(daemon_log B)
wait_for 25 grep -q 'msg="our public mapping moved while idle"' "$log_a" ||
    e2e_fail "A did not find its new mapping within 25 s ($(grep -c 'msg="mapping check"' "$log_a") checks logged)"
found=$(seconds_since "$t0")
e2e_log "A found its new mapping $found s after the fault"
grep -q "msg=published .*record=.*${new//./\\.}" "$log_a" || wait_for 5 grep -q "msg=published .*record=.*${new//./\\.}" "$log_a" ||
    e2e_fail "A never published its new mapping $new"
wait_for 10 test "$(wg_endpoint B A)" == "$new" ||
    e2e_fail "B's endpoint for A is $(wg_endpoint B A), expected $new"
tunnel_ping B A 3 >/dev/null || e2e_fail "B could not reach A through the tunnel after A's move"
tunnel_ping A B 3 >/dev/null || e2e_fail "A could not reach B through the tunnel after its move"
for side in A B; do
    n=$(grep -c 'path failed' "$(daemon_log "$side")" || true)
    ((n == 0)) || e2e_fail "peer$side started $n repairs: the move was found by something else than the check"
done
# One check per 10 s at most, plus the one that found the move (the cycle it started is another
# exchange, which restarts the wait).
checks=$(grep -c 'msg="mapping check"' "$log_a" || true)
elapsed=$(e2e_elapsed)
limit=$(( ${elapsed%.*} / 10 + 2 ))
((checks <= limit)) || e2e_fail "A ran $checks mapping checks in $elapsed s (at most $limit expected)"
daemons_alive

echo "ok - idle re-mapping found by the mapping check $found s after the fault; B reached A at $new ($checks checks)"
echo "PASS test_mapping_check ($(e2e_elapsed) s)"
