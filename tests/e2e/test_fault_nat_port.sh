#!/usr/bin/env bash
# Fault (a): with the tunnel up, A's NAT gives A a new public port (natA's port translation
# constant changes, conntrack flushed). Passes when A pings B through the tunnel again within
# E2E_RESTORE_BOUND (default 15) s with no manual step, B's WireGuard has A's new endpoint, and A
# republished it. Prints the time from the fault to the first answered ping.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_fault_nat_port.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_RESTORE_BOUND:-15}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

daemon_pair_up
before=$(wg_endpoint B A)

fault_nat_port A
t0=$(now_ts)
new="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT" A)"
e2e_log "fault: natA now maps A's port $E2E_WG_PORT to $new (was $before)"

dt=$(restore_time A B "$t0" "$BOUND") || e2e_fail "no ping A->B through the tunnel within $BOUND s of the fault"
e2e_log "first ping A->B answered $dt s after the fault"
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B->A through the tunnel failed after the repair"
wait_for 5 test "$(wg_endpoint B A)" == "$new" ||
    e2e_fail "B's endpoint for A is $(wg_endpoint B A), expected $new"
grep -q "msg=published .*record=.*${new//./\\.}" "$(daemon_log A)" ||
    e2e_fail "A never published its new mapping $new"
daemons_alive

echo "ok - A's new public port: tunnel restored in $dt s (initiator peer$(wg_initiator A B)); B->A $new"
echo "restore_seconds fault=nat_port $dt"
echo "PASS test_fault_nat_port ($(e2e_elapsed) s)"
