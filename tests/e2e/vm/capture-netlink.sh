# tests/e2e/vm/capture-netlink.sh OUTDIR — runs INSIDE the test VM (run-vm.sh --cmd, /bin/sh).
# Builds two kernel WireGuard devices that really handshake (wg0 here, wg1 moved to namespace b,
# both sockets on loopback), plus peers with an IPv6 endpoint and one with 300 allowed IPs so
# that the kernel splits the dump. Then records, with strace, the generic netlink bytes `wg`
# exchanges with the kernel for `wg show wg0 dump`, next to that command's text output:
#   OUTDIR/show.strace   strace -e read/write hex dumps of the netlink socket
#   OUTDIR/show.dump     `wg show wg0 dump` (the oracle for the parse of those bytes)
# Exits non-zero (and the self-test fails) if any step does.
set -eu
out=${SMVM_OUT:?}
umask 077
cd /tmp
wg genkey >a.key; wg pubkey <a.key >a.pub
wg genkey >b.key; wg pubkey <b.key >b.pub
wg genkey | wg pubkey >c.pub
wg genkey | wg pubkey >d.pub
ip link add wg0 type wireguard
ip link add wg1 type wireguard
ip netns add b
ip link set wg1 netns b
ips=$(i=0; while [ $i -lt 300 ]; do printf '10.20.%d.%d/32,' $((i / 256)) $((i % 256)); i=$((i + 1)); done)
wg set wg0 private-key a.key listen-port 51820 fwmark 0x42 \
    peer "$(cat b.pub)" endpoint 127.0.0.1:51821 allowed-ips 10.9.0.2/32 persistent-keepalive 25 \
    peer "$(cat c.pub)" endpoint '[2001:db8::7]:4500' allowed-ips 2001:db8:1::/48,10.10.0.0/16 \
    peer "$(cat d.pub)" allowed-ips "${ips%,}"
ip netns exec b wg set wg1 private-key b.key listen-port 51821 \
    peer "$(cat a.pub)" endpoint 127.0.0.1:51820 allowed-ips 10.9.0.1/32
ip addr add 10.9.0.1/24 dev wg0
ip link set wg0 up
ip -n b link set lo up
ip -n b addr add 10.9.0.2/24 dev wg1
ip -n b link set wg1 up
ping -c 2 -W 5 10.9.0.2
strace -f -xx -e trace=sendto,sendmsg,recvmsg -e read=all -e write=all -o "$out/show.strace" wg show wg0 dump >"$out/show.dump"
echo "capture-netlink: ok"
