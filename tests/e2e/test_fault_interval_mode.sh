#!/usr/bin/env bash
# Fixed-interval mode (`monitor: { mode: interval }`, refresh_interval 20s, probes off) still
# repairs fault (a) — A's NAT gives A a new public port — but only through the refresh timer:
# the first answered ping comes later than event mode's goal (> 5 s), within two refresh
# intervals and a margin, after a "refresh interval elapsed" on both sides, and neither daemon
# ever says "path failed" or pings.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_fault_interval_mode.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REFRESH=${E2E_INTERVAL_REFRESH:-20}
BOUND=$((2 * REFRESH + 10))
EVENT_GOAL=5
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

E2E_MONITOR_MODE=interval E2E_REFRESH="${REFRESH}s" E2E_SETTLE=0 daemon_pair_up
log_a=$(daemon_log A)
log_b=$(daemon_log B)
lines_a=$(wc -l <"$log_a")
lines_b=$(wc -l <"$log_b")

fault_nat_port A
t0=$(now_ts)
new="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT" A)"
e2e_log "fault: natA now maps A's port $E2E_WG_PORT to $new; waiting up to $BOUND s for the refresh timers"

dt=$(restore_time A B "$t0" "$BOUND") || e2e_fail "no ping A->B through the tunnel within $BOUND s of the fault"
e2e_log "first ping A->B answered $dt s after the fault"
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B->A through the tunnel failed after the repair"
daemons_alive

## after LOG LINES — the log's lines written after the first LINES.
after() { tail -n "+$(($2 + 1))" "$1"; }
awk -v d="$dt" -v g="$EVENT_GOAL" 'BEGIN { exit !(d > g) }' ||
    e2e_fail "restored in $dt s: not later than event mode's $EVENT_GOAL s goal, so not by the refresh timer"
after "$log_a" "$lines_a" | grep -q 'msg="refresh interval elapsed"' || e2e_fail "A's refresh timer never fired"
after "$log_a" "$lines_a" | grep -q "msg=published .*record=.*${new//./\\.}" ||
    e2e_fail "A never published its new mapping $new"
after "$log_b" "$lines_b" | awk -v ep="endpoint=$new " '
    /msg="refresh interval elapsed"/ { refreshed = 1 }
    /msg="endpoint set"/ && index($0, ep) { if (refreshed) found = 1 }
    END { exit !found }' || e2e_fail "B did not set A's new endpoint $new after a refresh"
if grep -q 'path failed\|pinging through the tunnel' "$log_a" "$log_b"; then
    e2e_fail "a probe ran in interval mode: $(grep -h 'path failed\|pinging through' "$log_a" "$log_b" | head -n 3)"
fi

echo "ok - interval mode (refresh ${REFRESH}s): A's new public port repaired by the refresh timer in $dt s" \
    "(initiator peer$(wg_initiator A B))"
echo "restore_seconds fault=nat_port mode=interval $dt"
echo "PASS test_fault_interval_mode ($(e2e_elapsed) s)"
