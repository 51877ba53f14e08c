#!/usr/bin/env bash
# The config-key table at the daemon's edges (docs/config.md):
#  1. `stunmeshd check` runs where there is no network at all (an empty network namespace: no
#     WireGuard, no route, no DNS): a file with typos exits 1 and lists every error with file:line,
#     key and the key meant; a good file whose ping target is a name exits 0 (the name is not
#     resolved);
#  2. the daemon refuses to start on that typo'd file, printing every error, and touches nothing;
#  3. every example config of stunmesh-go's README and docs at eb905f8 (tests/fixtures/
#     stunmesh-go-examples, placeholders replaced) passes `check` and starts the daemon on a real
#     wireguard-go device: it loads the file and runs until SIGTERM, then exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
fixtures="$E2E_ROOT/tests/fixtures/stunmesh-go-examples"
topo_two_nats eim eim
start_wg A 10.99.0.1/24
dir=$(e2e_peer_dir A)

# --- 1. check, with no network ------------------------------------------------------------------
typo="$dir/typo.yaml"
cat >"$typo" <<YAML
refresh_interval: 1m
stun:
  adresses: ["stun.example:3478"]
interfaces:
  wg0:
    peers:
      peer_b:
        public_key: "$(wg_pubkey A)"
        plugin: store
        keepalve: 10
plugins:
  store: { type: builtin, name: file, directory: "$dir" }
YAML
out=$(inpeer A unshare -n "$E2E_STUNMESHD" check -c "$typo" 2>&1) && rc=0 || rc=$?
echo "$out"
((rc == 1)) || e2e_fail "check exited $rc on a typo'd file"
grep -qxF "error: $typo:3: stun.adresses: unknown key; did you mean addresses?" <<<"$out" ||
    e2e_fail "check did not name stun.adresses with its line and the key meant"
grep -qxF "error: $typo:10: interfaces.wg0.peers.peer_b.keepalve: unknown key; did you mean keepalive?" <<<"$out" ||
    e2e_fail "check did not list the second typo"
grep -qxF "$typo: 2 errors, 1 warning; stunmeshd would not start" <<<"$out" || e2e_fail "no closing line"
echo "ok - check (no network): exit 1, both typos listed with file:line and the key meant"

good="$dir/good.yaml"
sed -e 's/adresses/addresses/' -e 's/keepalve: 10/ping: { enabled: true, target: gw.tunnel.example }/' "$typo" >"$good"
out=$(inpeer A unshare -n "$E2E_STUNMESHD" check -c "$good" 2>&1) && rc=0 || rc=$?
echo "$out"
((rc == 0)) || e2e_fail "check exited $rc on a good file"
grep -q 'gw.tunnel.example" is a name, resolved when the daemon starts (not here)' <<<"$out" ||
    e2e_fail "check did not say the ping target is left unresolved"
grep -qxF "$good: OK: 1 interface, 1 peer, 1 store, 1 warning" <<<"$out" || e2e_fail "no OK line"
echo "ok - check (no network): a good file exits 0, its ping target name unresolved"

# --- 2. the daemon refuses the typo'd file -----------------------------------------------------
before=$(inpeer A wg showconf wg0)
out=$(inpeer A "$E2E_STUNMESHD" -c "$typo" 2>&1) && rc=0 || rc=$?
((rc == 1)) || e2e_fail "the daemon exited $rc on a typo'd file"
[[ $(grep -c '^stunmeshd: invalid config: ' <<<"$out") == 2 ]] || e2e_fail "the daemon did not print both errors: $out"
[[ $(inpeer A wg showconf wg0) == "$before" ]] || e2e_fail "WireGuard changed after a refused config"
echo "ok - the daemon refuses it with both errors, WireGuard untouched"

# --- 3. stunmesh-go's examples ------------------------------------------------------------------
# Each example uses the default status file; the daemon runs in its own mount namespace with a
# private /run/stunmeshd so that nothing outside the test is written.
mkdir -p /run/stunmeshd
# The examples' peer (their placeholder key, replaced by this one) is on the device, as it would be.
inpeer A wg set wg0 peer "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA=" allowed-ips 10.99.0.9/32
count=0
for example in "$fixtures"/*.yaml; do
    name=$(basename "$example" .yaml)
    out=$("$E2E_STUNMESHD" check -c "$example" 2>&1) || e2e_fail "check refused $name: $out"
    log="$dir/example-$name.log"
    inpeer A unshare -m --propagation private sh -c \
        'mount -t tmpfs stunmeshd-test /run/stunmeshd && exec "$0" -c "$1"' "$E2E_STUNMESHD" "$example" >"$log" 2>&1 &
    wrapper=$!
    wait_for 10 grep -q 'msg="config loaded"' "$log" || e2e_fail "$name: the daemon did not load the file: $(cat "$log")"
    pid=$(pgrep -f -- "-c $example\$" | while read -r p; do is_stunmeshd "$p" && echo "$p"; done | head -1)
    [[ -n $pid ]] || e2e_fail "$name: no stunmeshd process found"
    sleep 2
    kill -0 "$pid" 2>/dev/null || e2e_fail "$name: the daemon exited: $(cat "$log")"
    ! grep -q 'level=error' "$log" || e2e_fail "$name: errors logged: $(grep 'level=error' "$log")"
    kill -TERM "$pid"
    wait "$wrapper" && rc=0 || rc=$?
    ((rc == 0)) || e2e_fail "$name: exit $rc after SIGTERM: $(tail -5 "$log")"
    count=$((count + 1))
    echo "ok - $name: check OK, the daemon ran and stopped cleanly ($(grep -c 'level=warn' "$log") warnings)"
done
rmdir /run/stunmeshd 2>/dev/null || true
((count >= 8)) || e2e_fail "only $count examples found in $fixtures"
echo "ok - all $count stunmesh-go example configs pass check and start the daemon"
