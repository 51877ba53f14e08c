#!/usr/bin/env bash
# Fault (c): with the tunnel up, both NATs change at once: A's NAT gets a new public IP
# (203.0.113.10 -> .11) and B's NAT a new public port (translation constant changes); both flush
# conntrack. Passes when A pings B through the tunnel again within E2E_RESTORE_BOUND (default 20)
# s with no manual step, and each side's WireGuard has the other's new endpoint. Prints the time
# from the fault to the first answered ping.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_fault_both_nats.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_RESTORE_BOUND:-20}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

daemon_pair_up
before_a=$(wg_endpoint B A)
before_b=$(wg_endpoint A B)

fault_nat_ip A 203.0.113.11
fault_nat_port B
t0=$(now_ts)
new_a="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT" A)"
new_b="${E2E_WAN[B]}:$(nat_public_port "$E2E_WG_PORT" B)"
e2e_log "fault: A's mapping is now $new_a (was $before_a), B's $new_b (was $before_b)"

dt=$(restore_time A B "$t0" "$BOUND") || e2e_fail "no ping A->B through the tunnel within $BOUND s of the fault"
e2e_log "first ping A->B answered $dt s after the fault"
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B->A through the tunnel failed after the repair"
wait_for 5 test "$(wg_endpoint B A)" == "$new_a" ||
    e2e_fail "B's endpoint for A is $(wg_endpoint B A), expected $new_a"
wait_for 5 test "$(wg_endpoint A B)" == "$new_b" ||
    e2e_fail "A's endpoint for B is $(wg_endpoint A B), expected $new_b"
daemons_alive

echo "ok - both NATs changed: tunnel restored in $dt s (initiator peer$(wg_initiator A B));" \
    "A->B $new_b, B->A $new_a"
echo "restore_seconds fault=both_nats $dt"
echo "PASS test_fault_both_nats ($(e2e_elapsed) s)"
