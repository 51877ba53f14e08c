#!/usr/bin/env bash
# Interface re-created under a running daemon: the tunnel is up, then wireguard-go is stopped and
# started again with the same key and peers but no endpoint (a new device: counters at zero, a new
# tun), first on the responder's side, then on the initiator's. stunmeshd must notice it (the
# counters went back) and bring the tunnel back within 20 s, without being restarted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-20}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
start_stunmeshd A "$(write_stunmesh_config A B)"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$(write_stunmesh_config B A)"
pid_b=$E2E_LAST_PID

alive() {
    kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA exited"
    kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
}
## up_within SECONDS — a fresh handshake on both sides and a ping A -> B within SECONDS.
up_within() {
    local deadline=$((SECONDS + $1))
    until wg_handshake_age A B >/dev/null 2>&1 && wg_handshake_age B A >/dev/null 2>&1 && tunnel_ping A B >/dev/null 2>&1; do
        alive
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}
up_within 60 || e2e_fail "no tunnel within 60 s"
sleep 3   # let the daemons' polls see the working tunnel

# The side whose public key sorts first initiates handshakes; the other only answers, which is
# the harder side to re-create (nothing on it starts a handshake by itself). Both are done.
initiator=$("$E2E_PYTHON" -I -c 'import base64,sys; a,b=(base64.b64decode(k) for k in sys.argv[1:3]); print("A" if a<b else "B")' \
    "$(wg_pubkey A)" "$(wg_pubkey B)")
responder=$([[ $initiator == A ]] && echo B || echo A)
for side in "$responder" "$initiator"; do
    other=$([[ $side == A ]] && echo B || echo A)
    e2e_log "restarting wireguard-go in peer$side ($([[ $side == "$initiator" ]] && echo initiator || echo responder))"
    restart_wg "$side"
    t0=$SECONDS
    # The new device starts without an endpoint; a daemon reading WireGuard every 0.25 s while
    # traffic moves may have written it again before this line runs (the log check below shows
    # that it noticed the re-creation).
    [[ $(wg_endpoint "$side" "$other") == "(none)" ]] || e2e_log "the daemon already wrote the endpoint again"
    up_within "$BOUND" || e2e_fail "tunnel not back within $BOUND s after wireguard-go was re-created in peer$side" \
        "(A endpoint for B: $(wg_endpoint A B), B endpoint for A: $(wg_endpoint B A))"
    alive
    echo "ok - tunnel back $((SECONDS - t0)) s after wireguard-go was re-created in peer$side, same daemons"
    # How the daemon noticed: netlink ("wg0 re-created") or the counter poll ("re-created", "is back").
    # The tunnel can be back before that line is written (WireGuard itself re-handshakes with the
    # endpoint the other side still has), so wait for it.
    wait_for 5 grep -qE 're-created|is back' "$(e2e_peer_dir "$side")/stunmeshd.log" ||
        e2e_fail "peer$side's daemon did not log that wg0 was re-created"
    grep -E 're-created|is back' "$(e2e_peer_dir "$side")/stunmeshd.log" | tail -1 | sed 's/^/    /'
    sleep 3
done
echo "PASS test_ops_wg_restart ($(e2e_elapsed) s)"
