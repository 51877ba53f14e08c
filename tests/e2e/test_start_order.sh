#!/usr/bin/env bash
# A hub restarted on a paced store reads its live partners first (issue #15: "put partners seen
# before first"). peerA manages 60 peers — 59 whose partners never publish, listed first, and the
# real peerB behind the other NAT, listed last — on an exec store (stunmesh-go's protocol,
# bench/exec_store.py), whose reads are paced at 4 at once then 12 a minute: read in config order,
# peerB's record would come ~4.5 minutes after start.
#
# 1. A first run of A managing peerB alone: the tunnel comes up, and A's state file keeps B's `ts`.
# 2. A restarted with all 60 peers: it says that the peers seen before start first, and reads
#    peerB's record within 10 s of its start (the parent commit reads it after the 59 others;
#    starting peerB first is not enough: the other peers' publishes finish in any order, so their
#    reads would still go first).
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_start_order.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

BOUND=${E2E_BOUND:-10}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

hub_scene_up 60
exec_dir="$E2E_RUN/exec-store"
exec_store=$(exec_store_plugin_yaml "$exec_dir")
# Both daemons on the exec store; in A's config peer_b moves to the end.
for conf in "$HUB_CONF_A" "$HUB_CONF_B"; do
    awk -v store="$exec_store" '/^  store: / { print store; next } { print }' "$conf" >"$conf.new" && mv "$conf.new" "$conf"
done
full_a=$HUB_CONF_A
awk '/^      peer_b:/ { b = $0; next } /^plugins:/ { print b } { print }' "$full_a" >"$full_a.new" && mv "$full_a.new" "$full_a"
alone_a="$(e2e_peer_dir A)/alone.yaml"
grep -v '^      p[0-9]' "$full_a" >"$alone_a"
[[ $(grep -c '^      p[0-9]' "$full_a") == 59 && $(grep -A1 '^      p0059' "$full_a" | tail -1) == *peer_b:* ]] ||
    e2e_fail "the hub's config is not as meant: $(grep -c '^      p[0-9]' "$full_a") dead peers, peer_b not last"

# --- 1. A with peerB alone ----------------------------------------------------------------------
start_stunmeshd B "$HUB_CONF_B"
start_stunmeshd A "$alone_a"
pid_a=$E2E_LAST_PID
deadline=$((SECONDS + 60))
until tunnel_up A B && grep -Eq '"newest_accepted":\{"[0-9a-f]{40}"' "$(e2e_peer_dir A)/replay.json" 2>/dev/null; do
    daemons_alive
    ((SECONDS < deadline)) || e2e_fail "first run: no tunnel or no state file within 60 s"
    sleep 0.5
done
kill "$pid_a"
wait_for 10 bash -c "! kill -0 $pid_a 2>/dev/null" || e2e_fail "stunmeshd in peerA did not stop"
unset 'E2E_DAEMON_PID[A]'
echo "ok - first run: the tunnel came up and A's state file keeps peerB's ts"

# --- 2. A restarted with 60 peers, peerB last -----------------------------------------------------
log_a=$(daemon_log A)
mv "$log_a" "$log_a.first-run"
lines_before=0
t0=$(now_ts)
start_stunmeshd A "$full_a"
## read_b — A's log (this run) has read peerB's record.
read_b() { tail -n "+$((lines_before + 1))" "$log_a" | grep -q 'msg="remote endpoint.*peer=peer_b'; }
deadline=$((SECONDS + BOUND))
until read_b; do
    daemons_alive
    ((SECONDS < deadline)) || e2e_fail "restart: peerB's record not read within $BOUND s ($(tail -n "+$((lines_before + 1))" "$log_a" | grep -c 'store read paced') paced reads logged)"
    sleep 0.2
done
took=$(seconds_since "$t0")
tail -n "+$((lines_before + 1))" "$log_a" | grep -q 'msg="peers whose partners were seen before start first" peers=60 seen_before=1' ||
    e2e_fail "A did not say that the peer seen before starts first"
tunnel_up A B || e2e_fail "the tunnel does not work after the restart"
echo "ok - restart with 60 peers, peerB listed last: its record read ${took} s after start (read in config order, ~4.5 min)"
echo "PASS test_start_order ($(e2e_elapsed) s)"
