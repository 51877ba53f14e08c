#!/usr/bin/env bash
# tests/e2e/vm/run-vm.sh — boot the kernel-WireGuard test VM under QEMU (TCG) and run one script
# in it. The host root is shared read-only over 9p and the VM chroots into it, so the script can
# run host binaries (stunmeshd from the build tree, wg, ip) against the VM's kernel WireGuard.
#
#   run-vm.sh --cmd SCRIPT [--share DIR] [--tap TAP --mac MAC --ip ADDR/LEN [--gw GW]]
#             [--console FILE] [--timeout SECONDS] [--memory MB]
#
#   --cmd      script (host path) run with /bin/sh inside the VM, chrooted into the host root
#   --share    host directory shared read-write, mounted in the VM at the same path
#   --tap      existing tap device for the VM's eth0 (virtio-net); without it the VM has no NIC
#   --console  file for the serial console (default <share>/vm-console.log, else stdout)
#
# Exits with the script's exit status, 124 when the VM ran out of time, 125 when it stopped
# without reporting one. The kernel is $SMVM_KERNEL (a version under /lib/modules), else the one
# linux-image-amd64 depends on, else the newest one with a wireguard module and a /boot/vmlinuz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd="" share="" tap="" mac="52:54:00:5e:00:02" ip="" gw="" console="" timeout=180 memory=768
while (($#)); do
    case $1 in
        --cmd) cmd=$2 ;; --share) share=$2 ;; --tap) tap=$2 ;; --mac) mac=$2 ;; --ip) ip=$2 ;; --gw) gw=$2 ;;
        --console) console=$2 ;; --timeout) timeout=$2 ;; --memory) memory=$2 ;;
        *) echo "run-vm: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $cmd ]] || { echo "run-vm: --cmd is required" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 2; }

## kernel_version — the VM kernel: see the header.
kernel_version() {
    if [[ -n ${SMVM_KERNEL:-} ]]; then echo "$SMVM_KERNEL"; return; fi
    local dep v
    dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[^ ,]*' | head -n1) || true
    v=${dep#linux-image-}
    if [[ -n $v && -f /boot/vmlinuz-$v ]]; then echo "$v"; return; fi
    for v in $(ls -1 /lib/modules | sort -rV); do
        if [[ -f /boot/vmlinuz-$v ]] && grep -q '/wireguard\.ko' "/lib/modules/$v/modules.dep" 2>/dev/null; then
            echo "$v"; return
        fi
    done
    echo "run-vm: no kernel with a wireguard module (apt-get install linux-image-amd64)" >&2
    return 1
}
kver=$(kernel_version)
[[ -r /boot/vmlinuz-$kver ]] || { echo "run-vm: /boot/vmlinuz-$kver not readable" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smvm.XXXXXX")
qemu_pid=""
stop() {
    trap '' TERM INT  # a second signal (cleanup often sends two) must not cut the cleanup short
    [[ -z $qemu_pid ]] || kill -TERM "$qemu_pid" 2>/dev/null || true
    [[ -z $qemu_pid ]] || wait "$qemu_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
"$here/build-initramfs.sh" "$kver" "$tmp/initramfs.cpio.gz" 2>"$tmp/initramfs.log" ||
    { cat "$tmp/initramfs.log" >&2; exit 2; }

if [[ -z $console ]]; then
    if [[ -n $share ]]; then console=$share/vm-console.log; else console=$tmp/console.log; fi
fi
[[ -z $share ]] || rm -f "$share/vm-exit-status"
append="console=ttyS0 panic=-1 loglevel=4 mitigations=off smvm_cmd=$cmd"
[[ -z $share ]] || append+=" smvm_share=$share"
[[ -z $ip ]] || append+=" smvm_ip=$ip"
[[ -z $gw ]] || append+=" smvm_gw=$gw"
args=(-machine q35 -accel tcg -m "$memory" -smp 1 -no-reboot -nodefaults -display none
      -serial "file:$console" -kernel "/boot/vmlinuz-$kver" -initrd "$tmp/initramfs.cpio.gz" -append "$append"
      -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
[[ -z $share ]] || args+=(-virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap")
if [[ -n $tap ]]; then
    args+=(-netdev "tap,id=net0,ifname=$tap,script=no,downscript=no" -device "virtio-net-pci,netdev=net0,mac=$mac")
fi
timeout --kill-after=5 "$timeout" qemu-system-x86_64 "${args[@]}" </dev/null &
qemu_pid=$!
status=0
wait "$qemu_pid" || status=$?
qemu_pid=""
[[ $console != "$tmp/console.log" ]] || cat "$console"
if ((status == 124 || status == 137)); then
    echo "run-vm: the VM did not finish within $timeout s" >&2
    exit 124
fi
result=$(sed -n 's/^SMVM-EXIT \([0-9]*\).*/\1/p' "$console" | tail -n1)
[[ -n $result ]] || { echo "run-vm: the VM stopped without an exit status (qemu status $status)" >&2; exit 125; }
exit "$result"
