#!/usr/bin/env bash
# Fault (d): with the tunnel up, A's uplink is down for 5 s, then back. "Uplink" is peerA's eth0,
# the daemon host's own link to its router: it loses carrier (the far end, natA's lan, is set
# down) and regains it 5 s later, like a pulled cable or a Wi-Fi drop. eth0 keeps its address
# and default route; natA keeps its mappings. Passes when A pings B through the tunnel again
# within E2E_RESTORE_BOUND (default 15) s of the link coming back, with no manual step. Prints the
# time from the link coming back to the first answered ping, and the whole outage.
#
# It passes whether or not the daemon watches netlink: the public mapping does not change, so the
# repair needs only that nothing the daemon does in the meantime breaks the path.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_fault_uplink_down.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_RESTORE_BOUND:-15}
DOWN=${E2E_DOWN_SECONDS:-5}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

daemon_pair_up
before_a=$(wg_endpoint B A)
before_b=$(wg_endpoint A B)

fault_uplink A down
t_down=$(now_ts)
e2e_log "fault: peerA's eth0 has no carrier"
sleep 1
tunnel_ping A B >/dev/null && e2e_fail "A still pings B with its uplink down: the fault did nothing"
sleep "$(awk -v a="$t_down" -v b="$(now_ts)" -v d="$DOWN" 'BEGIN { s = d - (b - a); print (s > 0 ? s : 0) }')"
fault_uplink A up
t0=$(now_ts)
e2e_log "peerA's eth0 has carrier again after $(awk -v a="$t_down" -v b="$t0" 'BEGIN{printf "%.1f", b-a}') s"

dt=$(restore_time A B "$t0" "$BOUND") || e2e_fail "no ping A->B through the tunnel within $BOUND s of the link coming back"
outage=$(awk -v a="$t_down" -v b="$t0" -v d="$dt" 'BEGIN { printf "%.2f", b - a + d }')
e2e_log "first ping A->B answered $dt s after the link came back ($outage s after it went down)"
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B->A through the tunnel failed after the repair"
[[ $(wg_endpoint B A) == "$before_a" && $(wg_endpoint A B) == "$before_b" ]] ||
    e2e_fail "endpoints moved: B->A $(wg_endpoint B A) (was $before_a), A->B $(wg_endpoint A B) (was $before_b)"
daemons_alive

echo "ok - A's uplink down ${DOWN} s: tunnel restored $dt s after the link came back" \
    "(outage $outage s; initiator peer$(wg_initiator A B))"
echo "restore_seconds fault=uplink_down $dt"
echo "PASS test_fault_uplink_down ($(e2e_elapsed) s)"
