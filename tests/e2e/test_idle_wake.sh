#!/usr/bin/env bash
# Traffic into an idle tunnel wakes the reads (TunnelTap, docs/path-judgement.md "Waking on
# traffic"). Both daemons read WireGuard only every 60 s while idle (monitor.poll_interval: 60s).
# With the tunnel idle (its last traffic long enough ago that A's reads went back to the idle pace),
# A's NAT gives A a new public port and A starts pinging B at once. Passes when:
#   1. A's log shows the tap waking a read after the fault, before the suspicion;
#   2. the tunnel answers again within 15 s of the fault — without the tap A would first see its
#      traffic at its next idle read, ~50–60 s later (the read before the fault was at most ~4 s
#      earlier; the figures are bench/reconnect.sh's, with the default 1 s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

E2E_POLL_INTERVAL=60s daemon_pair_up
log_a=$(daemon_log A)
# Idle: no traffic for > 3 s (the "active" window), then one more active-pace read has set the
# next read 60 s away and opened the tap.
sleep 5
grep -q 'msg="traffic into an idle tunnel' "$log_a" ||
    e2e_fail "A never woke on traffic (the tunnel came up by the set-up pings: their replies should have woken it)"
before=$(grep -c 'msg="traffic into an idle tunnel' "$log_a")

fault_nat_port A
t0=$(now_ts)
dt=$(restore_time A B "$t0" 15) || e2e_fail "no ping A->B through the tunnel within 15 s of the fault (A's next idle read is ~55 s away)"
after=$(grep -c 'msg="traffic into an idle tunnel' "$log_a")
((after > before)) || e2e_fail "the tunnel came back, but A's log shows no wake after the fault"
woke=$(grep 'msg="traffic into an idle tunnel' "$log_a" | tail -n 1 | sed 's/^ts=\([^ ]*\) .*/\1/')
suspect=$(grep 'msg="path suspect' "$log_a" | tail -n 1 | sed 's/^ts=\([^ ]*\) .*/\1/')
[[ -n $suspect && ! $suspect < $woke ]] || e2e_fail "A's suspicion ($suspect) did not follow the wake ($woke)"
daemons_alive
echo "ok - idle tunnel, poll_interval 60 s: the first packet after the fault woke A's read ($woke), suspicion at $suspect; tunnel back after $dt s"
echo "PASS test_idle_wake ($(e2e_elapsed) s)"
