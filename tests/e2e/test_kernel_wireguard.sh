#!/usr/bin/env bash
# Kernel WireGuard end to end: peer A is a QEMU virtual machine (TCG) running Debian's kernel with
# its wireguard module, kernel WireGuard wg0 and stunmeshd from the host build tree (host root
# shared read-only over 9p, tests/e2e/vm); peer B is wireguard-go + stunmeshd in its namespace.
# Both sit behind endpoint-independent NATs (lib.sh's two-NAT topology): the VM's NIC is a tap
# bridged onto peerA's LAN link, with peerA's address 10.0.1.2. No endpoint is set by hand.
# Traffic flows into the tunnel on both sides from before either daemon starts (a ping every
# 0.2 s from B, one every ~1.2 s from the VM), as on a router: the kernel spends no initiation
# while the peer has no endpoint, wireguard-go does (docs/first-contact.md), and the opening must
# get through either way. Passes when, within $E2E_BOUND s (default 120) of starting the VM (boot
# included), B has a handshake with A and pings A's tunnel address, and then A (in the VM) has a
# handshake with B, pings B, and its stunmeshd chose the kernel backend and opened the path.
# The VM's daemon runs as the packaged unit does: an unprivileged user (uid 64000) with only
# CAP_NET_ADMIN and CAP_NET_RAW (kernel WireGuard is reached over netlink: no file to open), its
# status and state files in a directory of its own.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_kernel_wireguard.sh
# Needs root, qemu-system-x86, linux-image-amd64, busybox-static (scripts/install-deps).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-120}
VM_DIR=$(cd "$(dirname "$0")/vm" && pwd)

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
command -v qemu-system-x86_64 >/dev/null || e2e_fail "qemu-system-x86_64 missing (run scripts/install-deps)"

topo_two_nats eim eim
start_stun

# Peer A's LAN address moves from peerA's eth0 to the VM: eth0 and a tap on a bridge in peerA.
in_ns peerA ip addr flush dev eth0
in_ns peerA ip link add br0 type bridge
in_ns peerA ip link set eth0 master br0
in_ns peerA ip tuntap add dev tap0 mode tap
in_ns peerA ip link set tap0 master br0
in_ns peerA ip link set tap0 up
in_ns peerA ip link set br0 up
in_ns natA ip neigh flush dev lan

dir_a=$(e2e_peer_dir A)
(umask 077 && wg genkey >"$dir_a/private.key")
wg pubkey <"$dir_a/private.key" >"$dir_a/public.key"
E2E_TUN_IP[A]=10.99.0.1
start_wg B 10.99.0.2/24
inpeer B wg set wg0 peer "$(wg_pubkey A)" allowed-ips "${E2E_TUN_IP[A]}/32"
# The unprivileged daemon's reach: its config, a directory of its own, the store.
uid=64000
chmod o+x "$E2E_RUN" "$dir_a"
mkdir -p "$dir_a/own"
chown "$uid:$uid" "$dir_a/own"
chmod 777 "$E2E_STORE"
write_stunmesh_config A B >/dev/null
conf_a="$dir_a/own/config.yaml"
sed -e "s|$dir_a/status.json|$dir_a/own/status.json|" -e "s|$dir_a/replay.json|$dir_a/own/replay.json|" \
    "$dir_a/config.yaml" >"$conf_a"
chmod 644 "$conf_a"
conf_b=$(write_stunmesh_config B A)

# What the VM runs: kernel wg0 as peer A, stunmeshd, a status file each second; on the stop
# file, a ping to B through the tunnel, then exit (the VM powers off).
mkdir -p "$E2E_RUN/vm"
# The VM sees the host root read-only but has its own /tmp, where a CI clone may live: run a copy
# of the binary from the shared run directory.
cp "$E2E_STUNMESHD" "$E2E_RUN/vm/stunmeshd"
cat >"$E2E_RUN/vm/peerA.sh" <<SCRIPT
set -u
status=$dir_a/vm-status
ip link add wg0 type wireguard || exit 10
wg set wg0 listen-port $E2E_WG_PORT private-key $dir_a/private.key peer $(wg_pubkey B) allowed-ips ${E2E_TUN_IP[B]}/32 || exit 11
ip addr add ${E2E_TUN_IP[A]}/24 dev wg0 && ip link set wg0 up || exit 12
echo "vm: kernel wg0 up, traffic into it, starting stunmeshd"
( while [ ! -e $E2E_RUN/vm/stop ]; do ping -c 1 -W 1 ${E2E_TUN_IP[B]} >/dev/null 2>&1; sleep 0.2; done ) &
setpriv --reuid=$uid --regid=$uid --clear-groups --inh-caps=+net_admin,+net_raw --ambient-caps=+net_admin,+net_raw \\
    -- $E2E_RUN/vm/stunmeshd -c $conf_a >$dir_a/stunmeshd.log 2>&1 &
pid=\$!
sleep 1
grep -E '^(Uid|CapEff):' /proc/\$pid/status >$dir_a/vm-daemon-creds
while [ ! -e $E2E_RUN/vm/stop ]; do
    kill -0 \$pid 2>/dev/null || { echo "vm: stunmeshd exited"; exit 13; }
    wg show wg0 dump >\$status.tmp && mv \$status.tmp \$status
    sleep 1
done
ping -c 3 -W 2 ${E2E_TUN_IP[B]} >$dir_a/vm-ping.log 2>&1 && echo ok >>$dir_a/vm-ping.log
kill \$pid
wait \$pid
exit 0
SCRIPT

t_vm=$(e2e_elapsed)
ip netns exec "$(ns peerA)" "$VM_DIR/run-vm.sh" --cmd "$E2E_RUN/vm/peerA.sh" --share "$E2E_RUN" \
    --tap tap0 --ip "${E2E_LAN_IP[A]}/24" --gw "${E2E_LAN_GW[A]}" --console "$dir_a/vm-console.log" \
    --timeout $((BOUND + 30)) >"$dir_a/run-vm.log" 2>&1 &
vm_pid=$!
e2e_track_pid "$vm_pid"
inpeer_bg B traffic-B ping -n -i 0.2 "${E2E_TUN_IP[A]}"
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
e2e_log "VM (run-vm pid $vm_pid) and stunmeshd in peerB (pid $pid_b) started"

## vm_handshake_with_b — the VM's last status shows a handshake with B.
vm_handshake_with_b() {
    awk -v k="$(wg_pubkey B)" '$1 == k && $5 > 0 { found = 1 } END { exit !found }' "$dir_a/vm-status" 2>/dev/null
}

deadline=$((SECONDS + BOUND))
until wg_handshake_age B A >/dev/null && tunnel_ping B A >/dev/null; do
    kill -0 "$vm_pid" 2>/dev/null || e2e_fail "the VM stopped early (see vm-console.log)"
    kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
    ((SECONDS < deadline)) || e2e_fail "no handshake and ping B -> A within $BOUND s of starting the VM" \
        "(B's endpoint for A: $(wg_endpoint B A))"
    sleep 1
done
t_up=$(e2e_elapsed)
e2e_log "B pings A through the tunnel; B's endpoint for A: $(wg_endpoint B A)"
until vm_handshake_with_b; do
    ((SECONDS < deadline)) || e2e_fail "the VM's kernel WireGuard shows no handshake with B"
    sleep 1
done

touch "$E2E_RUN/vm/stop"
vm_status=0
wait "$vm_pid" || vm_status=$?
((vm_status == 0)) || e2e_fail "the VM's script failed (run-vm exit $vm_status)"
grep -q '^ok$' "$dir_a/vm-ping.log" || e2e_fail "ping A -> B through the tunnel failed in the VM"
grep -q 'WireGuard backend chosen.*kernel' "$dir_a/stunmeshd.log" ||
    e2e_fail "stunmeshd in the VM did not choose the kernel backend"
grep -q 'msg="opening the path"' "$dir_a/stunmeshd.log" || e2e_fail "stunmeshd in the VM did not open the path"
# uid 64000 and CapEff 0x3000 (CAP_NET_ADMIN | CAP_NET_RAW), nothing more.
grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "$dir_a/vm-daemon-creds" && grep -qi '^CapEff:[[:space:]]*0*3000$' "$dir_a/vm-daemon-creds" ||
    e2e_fail "the VM's daemon did not run unprivileged: $(tr '\n' ' ' <"$dir_a/vm-daemon-creds" 2>/dev/null)"
[[ -s $dir_a/own/replay.json ]] || e2e_fail "the unprivileged daemon wrote no state file in its own directory"
how=$(sort "$dir_a/stunmeshd.log" "$(daemon_log B)" | sed -n 's/.*msg="initiating the handshake: \([^":(]*\).*/\1/p' |
    sed 's/ *$//' | paste -sd ';')
a_endpoint=$(awk -v k="$(wg_pubkey B)" '$1 == k { print $3 }' "$dir_a/vm-status")
kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"

echo "ok - kernel WireGuard in the VM connected to wireguard-go: handshake and ping" \
    "$(awk -v a="$t_vm" -v b="$t_up" 'BEGIN{printf "%.1f", b-a}') s after starting the VM;" \
    "A->B $a_endpoint, B->A $(wg_endpoint B A); with traffic both ways; initiated: ${how:-by a WireGuard retry}"
echo "PASS test_kernel_wireguard ($(e2e_elapsed) s)"
