#!/usr/bin/env bash
# Replay protection across a restart (issue #16): the newest record timestamp accepted from each
# partner is kept in `state_file`, so an older record that the partner really sealed — anyone can
# add values under a key on OpenDHT; a store may serve a stale copy — is refused after a restart as
# it is before one. File store, two NATs:
#   1. A and B connect; a copy of the store is kept (B's record at that time);
#   2. natB gives B a new public port: B republishes (a newer ts), A follows to the new endpoint;
#   3. both daemons stop; B's old record is put back into the store; A starts again;
#   4. A refuses the old record as a replay, names it in its log, and WireGuard keeps B's new
#      endpoint (before the state file, a restarted A took the old record and pointed WireGuard at a
#      mapping that no longer exists).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
conf_a=$(write_stunmesh_config A B)
conf_b=$(write_stunmesh_config B A)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
wait_for 30 tunnel_ping A B 1 || e2e_fail "the tunnel did not come up"
old_endpoint=$(wg_endpoint A B)
snapshot="$E2E_RUN/store-snapshot"
cp -a "$E2E_STORE" "$snapshot"
echo "ok - connected; A's endpoint for B is $old_endpoint; store copied"

sleep 2
fault_nat_port B
endpoint_moved() { [[ $(wg_endpoint A B) != "$old_endpoint" ]]; }
wait_for 30 endpoint_moved || e2e_fail "A's endpoint for B did not move after natB's new port"
wait_for 30 tunnel_ping A B 1 || e2e_fail "the tunnel did not work again"
new_endpoint=$(wg_endpoint A B)
[[ -s $(e2e_peer_dir A)/replay.json ]] || e2e_fail "A kept no replay state"
echo "ok - B moved: A's endpoint for B is now $new_endpoint; A's state file: $(cat "$(e2e_peer_dir A)/replay.json")"

kill -TERM "$pid_a" "$pid_b"
wait_for 10 bash -c "! kill -0 $pid_a 2>/dev/null && ! kill -0 $pid_b 2>/dev/null" || e2e_fail "the daemons did not stop"
cp -a "$snapshot"/. "$E2E_STORE"/
log_a=$(daemon_log A)
mv "$log_a" "$log_a.first"
start_stunmeshd A "$conf_a"
wait_for 20 grep -q 'replayed or stale, ignored' "$log_a" ||
    e2e_fail "the restarted A did not refuse B's old record: $(grep -E 'remote endpoint|ignored' "$log_a" | head -3)"
sleep 2
[[ $(wg_endpoint A B) == "$new_endpoint" ]] || e2e_fail "A's WireGuard was pointed back at $(wg_endpoint A B)"
! grep -q "remote endpoint $old_endpoint" "$log_a" || e2e_fail "the restarted A took the old endpoint"
echo "ok - restarted, A refused B's old record ($(grep -m 1 -o 'older (ts [0-9]*) than the newest accepted (ts [0-9]*)' "$log_a")); WireGuard keeps $new_endpoint"
echo "PASS test_replay_restart ($(e2e_elapsed) s)"
