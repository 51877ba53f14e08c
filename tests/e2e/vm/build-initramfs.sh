#!/usr/bin/env bash
# tests/e2e/vm/build-initramfs.sh KERNEL_VERSION OUTPUT — the test VM's initramfs (gzip'd newc
# cpio): busybox-static, tests/e2e/vm/init as /init, and the modules the init loads — virtio
# PCI/net, 9p over virtio, wireguard — with their dependencies from modules.dep, listed in load
# order in /modules.list. Compressed modules (.ko.xz/.ko.zst) are stored decompressed, because
# busybox's insmod reads plain .ko files.
set -euo pipefail
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
moddir=/lib/modules/$kver
[[ -f $moddir/modules.dep ]] || { echo "build-initramfs: no $moddir/modules.dep" >&2; exit 1; }
busybox=$(command -v busybox) || { echo "build-initramfs: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
! readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter' ||
    { echo "build-initramfs: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/smvm-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/lib/modules"
cp "$busybox" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init" "$work/bin/busybox"

# Load order: for each wanted module, its dependencies (modules.dep lists the whole closure,
# deepest last) in reverse, then the module; each once.
declare -A seen=()
order=()
add() {
    local path=$1
    [[ -z ${seen[$path]:-} ]] || return 0
    seen[$path]=1
    order+=("$path")
}
for name in virtio_pci virtio_net 9pnet_virtio 9p wireguard; do
    line=$(grep -E "(^|/)${name}\\.ko(\\.xz|\\.zst|\\.gz)?:" "$moddir/modules.dep") ||
        { echo "build-initramfs: module $name not in $moddir/modules.dep" >&2; exit 1; }
    path=${line%%:*}
    read -r -a deps <<<"${line#*:}"
    for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add "${deps[i]}"; done
    add "$path"
done
: >"$work/modules.list"
for path in "${order[@]}"; do
    plain=$(basename "$path")
    plain=${plain%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
    case $path in
        *.xz) xz -dc "$moddir/$path" >"$work/lib/modules/$plain" ;;
        *.zst) zstd -qdc "$moddir/$path" >"$work/lib/modules/$plain" ;;
        *.gz) gzip -dc "$moddir/$path" >"$work/lib/modules/$plain" ;;
        *) cp "$moddir/$path" "$work/lib/modules/$plain" ;;
    esac
    echo "$plain" >>"$work/modules.list"
done
(cd "$work" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) |
    gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($kver: $(tr '\n' ' ' <"$work/modules.list"))" >&2
