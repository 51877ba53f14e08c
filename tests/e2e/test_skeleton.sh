#!/usr/bin/env bash
# The daemon end-to-end test: two WireGuard peers behind two endpoint-independent NATs with
# translated ports, each running stunmeshd with the file store and one STUN server, and NO manual
# endpoint. Passes when both peers handshake and ping through the tunnel within 60 s.
# Same topology as topology_selfcheck.sh, with stunmeshd in place of the manual steps.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_skeleton.sh
# Default binary: .build/release/stunmeshd, else .build/debug/stunmeshd. Builds nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-60}

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

conf_a=$(write_stunmesh_config A B)
conf_b=$(write_stunmesh_config B A)
t_start=$(e2e_elapsed)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b)"

## both_alive — both daemons still running (a crash fails the test at once, not after the bound).
both_alive() {
    kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA exited"
    kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
}

## connected — both sides have a handshake with each other and A pings B through the tunnel.
connected() {
    wg_handshake_age A B >/dev/null && wg_handshake_age B A >/dev/null && tunnel_ping A B >/dev/null
}

deadline=$((SECONDS + BOUND))
until connected; do
    both_alive
    ((SECONDS < deadline)) || e2e_fail "no handshake and tunnel ping within $BOUND s" \
        "(A endpoint for B: $(wg_endpoint A B), B endpoint for A: $(wg_endpoint B A))"
    sleep 0.5
done
t_up=$(e2e_elapsed)
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B -> A through the tunnel failed"
both_alive

echo "ok - handshake and ping $(awk -v a="$t_start" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after" \
    "starting stunmeshd; A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"
echo "PASS test_skeleton ($(e2e_elapsed) s)"
