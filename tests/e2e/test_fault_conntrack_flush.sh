#!/usr/bin/env bash
# Fault (e): with the tunnel up, A's NAT forgets every mapping (conntrack -F on natA; rules
# unchanged, so A's next outbound packet gets the same public port). Passes when A pings B and B
# pings A through the tunnel again within E2E_RESTORE_BOUND (default 15) s with no manual step.
# Prints the time from the flush to the first answered ping A->B.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_fault_conntrack_flush.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_RESTORE_BOUND:-15}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

daemon_pair_up
before_a=$(wg_endpoint B A)

fault_conntrack_flush A
t0=$(now_ts)
e2e_log "fault: natA's conntrack table flushed"

dt=$(restore_time A B "$t0" "$BOUND") || e2e_fail "no ping A->B through the tunnel within $BOUND s of the flush"
e2e_log "first ping A->B answered $dt s after the flush"
dt_b=$(restore_time B A "$t0" "$BOUND") || e2e_fail "no ping B->A through the tunnel within $BOUND s of the flush"
e2e_log "first ping B->A answered $dt_b s after the flush"
[[ $(wg_endpoint B A) == "$before_a" ]] ||
    e2e_fail "B's endpoint for A moved to $(wg_endpoint B A) (was $before_a) though A's mapping did not change"
daemons_alive

echo "ok - natA's conntrack flushed: tunnel restored in $dt s (B->A $dt_b s; initiator peer$(wg_initiator A B))"
echo "restore_seconds fault=conntrack_flush $dt"
echo "PASS test_fault_conntrack_flush ($(e2e_elapsed) s)"
