#!/usr/bin/env bash
# A full tunnel (issue #18): peerA's WireGuard carries all its traffic, set up as wg-quick does it
# (fwmark 51820 on wg0, allowed-ips 0.0.0.0/0 for the peer, `ip rule not fwmark 51820 table 51820`
# with a default route into wg0 there, and `table main suppress_prefixlength 0`), so that only
# packets with WireGuard's mark leave outside the tunnel. The store is OpenDHT over HTTP (two local
# dhtnode proxies), which peerA names by host name: a real DNS server (dnsmasq) on the "internet"
# answers for it, and peerA's /etc/resolv.conf points there. Before the tunnel exists, anything
# unmarked goes into a wg0 that has no endpoint; the daemon's store traffic must carry the mark as
# its STUN and punches do (libcurl's sockets get SO_MARK), and so must its DNS queries (glibc's and
# libcurl's resolvers cannot mark theirs: c-ares resolves on marked sockets). Checks:
#   1. the tunnel comes up (bound 30 s) and pings both ways;
#   2. peerA published its true public mapping (natA's address), read through the store by peerB;
#      its proxies' name was looked up at the DNS server, from natA's address (outside the tunnel);
#   3. natA gives peerA a new public port: the tunnel works again (bound 30 s), the republish having
#      gone out marked while the tunnel was down;
#   4. a shell plugin store of peerA's (a second store) is run with STUNMESH_FWMARK=51820 in its
#      environment, so that a plugin can mark its own sockets;
#   5. none of the daemon's own outer traffic entered the tunnel: an nftables counter on wg0's output
#      for the "internet" (203.0.113.0/24: STUN, DNS, the proxies, the NATs) stays at 0 packets.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
start_stun
start_opendht
# The DNS server of the "internet": dht.e2e.test is the proxies' host; peerA's resolv.conf (its own
# mount namespace) names it.
dns_log="$E2E_RUN/dnsmasq.log"
in_ns inet dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address="$E2E_STUN1" --port=53 --user=root --pid-file="$E2E_RUN/dnsmasq.pid" \
    --address=/dht.e2e.test/"$E2E_STUN1" --log-queries --log-facility="$dns_log" </dev/null >/dev/null 2>&1 &
wait_for 10 grep -q "started" "$dns_log" || e2e_fail "dnsmasq did not start"
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

# wg-quick's full tunnel on peerA.
mark=51820
full_tunnel A B "$mark"
echo "nameserver $E2E_STUN1" >"$E2E_RUN/resolv.conf"
inpeer A mount --bind "$E2E_RUN/resolv.conf" /etc/resolv.conf
# Unmarked traffic to the "internet" now goes into the tunnel, which has no endpoint yet.
! inpeer A ping -n -c 1 -W 1 "$E2E_STUN1" >/dev/null 2>&1 || e2e_fail "the full tunnel does not capture peerA's traffic"
echo "ok - peerA is a wg-quick style full tunnel (fwmark $mark; unmarked traffic into wg0)"
# Counts what goes into the tunnel toward the "internet" from now on (the check above is before it).
inpeer A nft add table inet e2e_count
inpeer A nft add chain inet e2e_count out '{ type filter hook output priority 0; policy accept; }'
inpeer A nft add rule inet e2e_count out oifname wg0 ip daddr 203.0.113.0/24 counter

plugins="  dht: $(opendht_plugin_yaml)"
# peerA's proxies by name (same servers, same ports).
plugins_a=${plugins//$E2E_STUN1/dht.e2e.test}
# A shell plugin that notes the mark it was given and stores nothing.
marks="$E2E_RUN/plugin-marks"
cat >"$E2E_RUN/mark-plugin.sh" <<SH
#!/bin/sh
cat >/dev/null
echo "\${STUNMESH_FWMARK:-none}" >>"$marks"
SH
chmod 755 "$E2E_RUN/mark-plugin.sh"
conf_a=$(write_store_config A B "plugin: dht, extra_plugins: [sh]" "$plugins_a
  sh: { type: shell, command: \"$E2E_RUN/mark-plugin.sh\" }")
conf_b=$(write_store_config B A "plugin: dht" "$plugins")
start_stunmeshd A "$conf_a"
start_stunmeshd B "$conf_b"
wait_for 30 tunnel_ping A B 1 || e2e_fail "the tunnel did not come up within 30 s (A's endpoint for B: $(wg_endpoint A B), B's for A: $(wg_endpoint B A))"
tunnel_ping B A 3 >/dev/null || e2e_fail "B -> A does not work"
echo "ok - the tunnel came up through the full-tunnel routing; pings both ways"

published=$(grep -m 1 'msg=published' "$(daemon_log A)" | grep -o '203\.0\.113\.[0-9]*:[0-9]*' | head -n 1)
[[ $published == "${E2E_WAN[A]}:"* ]] || e2e_fail "peerA published $published, not natA's address ${E2E_WAN[A]}"
[[ $(wg_endpoint B A) == "${E2E_WAN[A]}:"* ]] || e2e_fail "peerB's endpoint for A is $(wg_endpoint B A)"
echo "ok - peerA published its true public mapping $published, and peerB uses it"
grep -q "query\[A\] dht.e2e.test from ${E2E_WAN[A]}" "$dns_log" ||
    e2e_fail "no query for dht.e2e.test from natA (${E2E_WAN[A]}) reached the DNS server: $(grep query "$dns_log" | head -n 5)"
echo "ok - peerA's proxies (dht.e2e.test) were looked up from natA's address: $(grep -c 'query\[' "$dns_log") queries, all outside the tunnel"

sleep 3
fault_nat_port A
t0=$(now_ts)
took=$(restore_time A B "$t0" 30) || e2e_fail "the tunnel did not work again within 30 s of natA's new port"
echo "ok - natA gave peerA a new public port: the tunnel works again after $took s"
into_tunnel=$(inpeer A nft list chain inet e2e_count out | sed -n 's/.*counter packets \([0-9]*\) bytes.*/\1/p')
[[ $into_tunnel == 0 ]] || e2e_fail "$into_tunnel packets of outer traffic entered the tunnel"
echo "ok - 0 packets to the internet entered wg0 (STUN, stores, punches all left outside the tunnel)"
[[ -s $marks ]] || e2e_fail "the shell plugin never ran"
! grep -qv "^$mark\$" "$marks" || e2e_fail "the shell plugin ran without STUNMESH_FWMARK=$mark: $(sort "$marks" | uniq -c)"
echo "ok - the shell plugin ran $(wc -l <"$marks") times, always with STUNMESH_FWMARK=$mark"
echo "PASS test_full_tunnel ($(e2e_elapsed) s)"
