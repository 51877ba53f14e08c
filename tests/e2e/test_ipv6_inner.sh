#!/usr/bin/env bash
# A tunnel with IPv6 inner addresses (issue #18): wg0 carries fd99::1/64 and fd99::2/64 beside the
# IPv4 ones, B's allowed IPs include fd99::2/128, and peerA probes fd99::2 (ICMPv6 through the
# tunnel). natA gives peerA a new public port while a ping runs over IPv6 inside the tunnel: the
# daemon's ICMPv6 probes go unanswered, a repair starts on that verdict, and the IPv6 ping works
# again (bound 30 s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
inpeer A ip -6 addr add fd99::1/64 dev wg0 nodad
inpeer B ip -6 addr add fd99::2/64 dev wg0 nodad
inpeer A wg set wg0 peer "$(wg_pubkey B)" allowed-ips 10.99.0.2/32,fd99::2/128
inpeer B wg set wg0 peer "$(wg_pubkey A)" allowed-ips 10.99.0.1/32,fd99::1/128

conf_a=$(write_stunmesh_config A B)
sed -i "s|^\\(      peer_b: { .*\\) }\$|\\1, ping: { enabled: true, target: \"fd99::2\" } }|" "$conf_a"
grep -q 'target: "fd99::2"' "$conf_a" || e2e_fail "could not add the IPv6 ping target to $conf_a: $(grep peer_b "$conf_a")"
start_stunmeshd A "$conf_a"
start_stunmeshd B "$(write_stunmesh_config B A)"
E2E_TUN_IP[B]=fd99::2
wait_for 30 tunnel_ping A B 1 || e2e_fail "no IPv6 ping through the tunnel within 30 s"
echo "ok - the tunnel carries IPv6 inside"

sleep 3
fault_nat_port A
t0=$(now_ts)
took=$(restore_time A B "$t0" 30) || e2e_fail "the IPv6 ping did not work again within 30 s"
grep -q 'msg="pinging through the tunnel".*target=fd99::2' "$(daemon_log A)" ||
    e2e_fail "A's probes did not go to fd99::2"
grep -q 'path failed (unanswered)' "$(daemon_log A)" ||
    e2e_fail "the repair did not start on unanswered ICMPv6 probes: $(grep 'path failed' "$(daemon_log A)")"
echo "ok - natA's new port: unanswered ICMPv6 probes started the repair; IPv6 in the tunnel works again after $took s"
echo "PASS test_ipv6_inner ($(e2e_elapsed) s)"
