#!/usr/bin/env bash
# -oneshot end-to-end: both peers run `stunmeshd -oneshot` (as stunmesh-go's -oneshot: publish,
# establish, exit). Both must exit 0 once their peer's endpoint is set, and WireGuard must then
# handshake and carry a ping with no daemon running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

conf_a=$(write_stunmesh_config A B)
conf_b=$(write_stunmesh_config B A)
inpeer_bg A stunmeshd "$E2E_STUNMESHD" -oneshot -c "$conf_a"
pid_a=$E2E_LAST_PID
inpeer_bg B stunmeshd "$E2E_STUNMESHD" -oneshot -c "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd -oneshot in peerA (pid $pid_a) and peerB (pid $pid_b)"

rc_a=0 rc_b=0
wait_for 60 bash -c "! kill -0 $pid_a && ! kill -0 $pid_b" || e2e_fail "-oneshot did not exit within 60 s"
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
((rc_a == 0 && rc_b == 0)) || e2e_fail "-oneshot exit status A=$rc_a B=$rc_b, want 0"
for side in A B; do
    grep -q 'oneshot: every peer is configured' "$(e2e_peer_dir "$side")/stunmeshd.log" ||
        e2e_fail "peer$side: no 'every peer is configured' line"
done
e2e_log "both exited 0; A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"
[[ $(wg_endpoint A B) == 203.0.113.20:* && $(wg_endpoint B A) == 203.0.113.10:* ]] ||
    e2e_fail "endpoints not set: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"

deadline=$((SECONDS + 30))
until wg_handshake_age A B >/dev/null && wg_handshake_age B A >/dev/null && tunnel_ping A B >/dev/null; do
    ((SECONDS < deadline)) || e2e_fail "no handshake within 30 s after -oneshot exited"
    sleep 0.5
done
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B -> A failed"
echo "ok - both -oneshot runs exited 0, then WireGuard handshook and pings pass with no daemon"
echo "PASS test_ops_oneshot ($(e2e_elapsed) s)"
