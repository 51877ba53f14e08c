#!/usr/bin/env bash
# The daemon's contract at its edges, on a real wireguard-go peer behind a NAT:
#  1. a bad config names the key, exits non-zero, and touches nothing in WireGuard;
#  2. a forged record in the store is logged and ignored; WireGuard keeps its endpoint;
#  3. SIGTERM stops the daemon cleanly (exit 0, within seconds) and leaves WireGuard as it was.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

dump() { inpeer A wg showconf wg0 | grep -v '^PrivateKey'; }

# 1. Bad config: a public key that is not a key.
before=$(dump)
bad="$(e2e_peer_dir A)/bad.yaml"
cat >"$bad" <<YAML
interfaces:
  wg0:
    peers:
      peer_b: { public_key: "not-a-key", plugin: store }
plugins:
  store: { type: builtin, name: file, directory: "$E2E_STORE" }
YAML
out=$(inpeer A "$E2E_STUNMESHD" -c "$bad" 2>&1) && rc=0 || rc=$?
((rc != 0)) || e2e_fail "a bad config exited 0"
grep -q 'interfaces.wg0.peers.peer_b.public_key' <<<"$out" || e2e_fail "the error does not name the key: $out"
[[ $(dump) == "$before" ]] || e2e_fail "WireGuard changed after a bad config"
echo "ok - bad config: exit $rc, '$out'"

# 2 and 3: run both daemons until the tunnel is up; a 4 s refresh makes A re-read B's record soon.
conf_a=$(E2E_REFRESH=4s write_stunmesh_config A B)
conf_b=$(write_stunmesh_config B A)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
wait_for 30 tunnel_ping A B
endpoint=$(wg_endpoint A B)
echo "ok - tunnel up, A's endpoint for B is $endpoint"

# 2. Replace every record in the store with a forgery (hex of random bytes: a nonce and a box
# nobody sealed); A re-reads B's record at its next refresh and must ignore it.
kill -STOP "$E2E_LAST_PID"   # B must not overwrite its record meanwhile
for f in "$E2E_STORE"/*; do
    head -c 80 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"
done
log_a="$(e2e_peer_dir A)/stunmeshd.log"
wait_for 15 grep -q "ignored the peer's record" "$log_a"
kill -CONT "$E2E_LAST_PID"
kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA died on a forged record"
[[ $(wg_endpoint A B) == "$endpoint" ]] || e2e_fail "a forged record changed WireGuard: $(wg_endpoint A B)"
tunnel_ping A B >/dev/null || e2e_fail "the tunnel broke after forged records"
echo "ok - forged record ignored ($(grep -m1 "ignored the peer's record" "$log_a" | grep -o 'msg="[^"]*"')), endpoint kept, tunnel up"

# 3. SIGTERM: exits 0 promptly; WireGuard keeps the endpoint and keepalive it had.
before=$(dump)
kill -TERM "$pid_a"
for _ in $(seq 1 50); do kill -0 "$pid_a" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid_a" 2>/dev/null && e2e_fail "stunmeshd did not stop within 5 s of SIGTERM"
wait "$pid_a" 2>/dev/null && rc=0 || rc=$?
grep -q 'signal received, stopping' "$log_a" || e2e_fail "no clean-stop log line"
[[ $(dump) == "$before" ]] || e2e_fail "WireGuard changed at shutdown"
tunnel_ping A B >/dev/null || e2e_fail "the tunnel broke when the daemon stopped"
echo "ok - SIGTERM: stopped cleanly, WireGuard untouched"
echo "PASS test_cli ($(e2e_elapsed) s)"
