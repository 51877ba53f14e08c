#!/usr/bin/env bash
# An address family this host cannot reach is never chosen (issue #18; stunmesh-go's #295 flapped
# there). Dual-stack scene, then peerA loses IPv6 entirely (no address, no route): an IPv4-only
# host. B publishes both families (`dualstack`); A's peer is configured `prefer_ipv6`. A must take
# B's IPv4 endpoint, connect, and keep it: over WINDOW s (default 60, a scaled-down version of the
# issue's 10 minutes) WireGuard's endpoint for B does not change and A writes it once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

WINDOW=${E2E_WINDOW:-60}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
topo_add_ipv6
start_stun_dualstack
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
inpeer A ip -6 route flush default
inpeer A ip -6 addr flush dev eth0 scope global
! inpeer A ping -6 -n -c 1 -W 1 "$E2E_STUN6_1" >/dev/null 2>&1 || e2e_fail "peerA still reaches IPv6"
echo "ok - peerA is IPv4-only; peerB is dual stack"

start_stunmeshd A "$(write_stunmesh_config_family A B ipv4 prefer_ipv6)"
start_stunmeshd B "$(write_stunmesh_config_family B A dualstack prefer_ipv6)"
wait_for 30 tunnel_ping A B 1 || e2e_fail "no tunnel within 30 s (A's endpoint for B: $(wg_endpoint A B))"
endpoint=$(wg_endpoint A B)
[[ $endpoint == "${E2E_WAN[B]}:"* ]] || e2e_fail "A uses $endpoint, not B's IPv4 mapping"
b_record=$(grep -m 1 'msg=published' "$(daemon_log B)" | sed 's/.*record="\(.*\)" written.*/\1/' || true)
grep -q ipv6 <<<"$b_record" || e2e_fail "B did not publish an IPv6 address: $b_record"
echo "ok - A chose B's IPv4 endpoint $endpoint over the IPv6 one B publishes ($b_record)"

changes=0
deadline=$((SECONDS + WINDOW))
while ((SECONDS < deadline)); do
    now=$(wg_endpoint A B)
    [[ $now == "$endpoint" ]] || { changes=$((changes + 1)); endpoint=$now; }
    sleep 1
done
sets=$(grep -c 'msg="endpoint set"' "$(daemon_log A)" || true)
((changes == 0)) || e2e_fail "A's endpoint for B changed $changes times in $WINDOW s"
((sets == 1)) || e2e_fail "A wrote B's endpoint $sets times: $(grep 'endpoint set' "$(daemon_log A)")"
tunnel_ping A B 1 >/dev/null || e2e_fail "the tunnel stopped working"
echo "ok - $WINDOW s: 0 endpoint changes, the endpoint written once, the tunnel up"
echo "PASS test_family_unreachable ($(e2e_elapsed) s)"
