#!/usr/bin/env bash
# tests/e2e/vm/selftest.sh [--write-fixtures] — the VM self-test: boots Debian's kernel under
# QEMU (TCG) with run-vm.sh, loads wireguard, builds two kernel WireGuard devices that handshake
# (capture-netlink.sh) and records the generic netlink bytes `wg show wg0 dump` exchanges with the
# kernel. Passes when all of that works and the capture holds a split multi-part dump.
# --write-fixtures regenerates Tests/ProbesTests/NetlinkCaptureFixture.swift from the capture.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
write=0
[[ ${1:-} != --write-fixtures ]] || write=1
[[ $(id -u) -eq 0 ]] || { echo "selftest: needs root" >&2; exit 2; }
t0=$SECONDS
share=$(mktemp -d "${TMPDIR:-/tmp}/smvm-selftest.XXXXXX")
keep=0
trap '((keep)) || rm -rf "$share"' EXIT
cat >"$share/run.sh" <<SCRIPT
SMVM_OUT=$share; export SMVM_OUT
exec /bin/sh $here/capture-netlink.sh
SCRIPT
if ! "$here/run-vm.sh" --cmd "$share/run.sh" --share "$share" --timeout 150; then
    keep=1
    echo "FAIL: the VM self-test script failed; console log:" >&2
    tail -n 40 "$share/vm-console.log" >&2 || true
    echo "selftest: kept $share" >&2
    exit 1
fi
out=()
((write == 0)) || out=("$root/Tests/ProbesTests/NetlinkCaptureFixture.swift")
python3 "$here/netlink_fixture.py" "$share/show.strace" "$share/show.dump" "${out[@]}" || { keep=1; exit 1; }
echo "PASS vm selftest ($((SECONDS - t0)) s)"
