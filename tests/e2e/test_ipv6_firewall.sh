#!/usr/bin/env bash
# IPv6 end to end: two WireGuard peers on routed IPv6 (no NAT) behind routers whose stateful
# firewalls drop unsolicited inbound, the realistic IPv6 case; the peers have no IPv4 route out.
# Each runs stunmeshd with `protocol: ipv6` (interface and peer), the file store and STUN servers of
# both families (the IPv4 ones must be skipped). Passes when both peers handshake and ping through
# the tunnel with no manual step, over IPv6 endpoints, with records that carry only "ipv6".
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_ipv6_firewall.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-60}

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_firewalls_v6
start_stun_dualstack

## unsolicited_dropped SIDE — a datagram from the internet to peer<SIDE> port 5000 never arrives.
unsolicited_dropped() {
    local side=$1 pid
    inpeer "$side" "$E2E_PYTHON" -I "$E2E_DIR/udp_once.py" recv --bind "[::]:5000" --timeout 2 \
        >"$E2E_RUN/unsolicited$side.log" 2>&1 &
    pid=$!
    sleep 0.5
    in_ns inet "$E2E_PYTHON" -I "$E2E_DIR/udp_once.py" send --bind "[$E2E_STUN6_1]:5000" \
        --to "[${E2E_LAN6_IP[$side]}]:5000"
    ! wait "$pid"
}

for side in A B; do
    inpeer "$side" ping -6 -n -c 1 -W 2 "$E2E_STUN6_1" >/dev/null ||
        e2e_fail "peer$side cannot reach the internet over IPv6"
    unsolicited_dropped "$side" || e2e_fail "router nat$side let unsolicited IPv6 inbound through"
    ! inpeer "$side" ping -4 -n -c 1 -W 1 "$E2E_STUN1" >/dev/null 2>&1 ||
        e2e_fail "peer$side still reaches the internet over IPv4"
done
e2e_log "firewalls drop unsolicited inbound; peers reach the internet over IPv6 only"

start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

conf_a=$(write_stunmesh_config_family A B ipv6 ipv6)
conf_b=$(write_stunmesh_config_family B A ipv6 ipv6)
t_start=$(e2e_elapsed)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b)"

both_alive() {
    kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA exited"
    kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
}

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

[[ $(wg_endpoint A B) == "[${E2E_LAN6_IP[B]}]:$E2E_WG_PORT" ]] || e2e_fail "A's endpoint for B is $(wg_endpoint A B)"
[[ $(wg_endpoint B A) == "[${E2E_LAN6_IP[A]}]:$E2E_WG_PORT" ]] || e2e_fail "B's endpoint for A is $(wg_endpoint B A)"
record_a=$(store_record A B | without_ts) || e2e_fail "no readable record from A for B"
record_b=$(store_record B A | without_ts) || e2e_fail "no readable record from B for A"
[[ $record_a == "{\"ipv6\":\"[${E2E_LAN6_IP[A]}]:$E2E_WG_PORT\"}" ]] || e2e_fail "A's record is $record_a"
[[ $record_b == "{\"ipv6\":\"[${E2E_LAN6_IP[B]}]:$E2E_WG_PORT\"}" ]] || e2e_fail "B's record is $record_b"
grep -q 'NAT behaviour.*family=ipv6.*nat="not translated"' "$(e2e_peer_dir A)/stunmeshd.log" ||
    e2e_fail "peerA did not log its IPv6 NAT behaviour as not translated"

echo "ok - handshake and ping $(awk -v a="$t_start" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after" \
    "starting stunmeshd; A->B $(wg_endpoint A B), B->A $(wg_endpoint B A); A's record $record_a"
echo "PASS test_ipv6_firewall ($(e2e_elapsed) s)"
