#!/usr/bin/env bash
# The Debian package (scripts/package) of the binary the other tests run:
#  1. it builds, its last line is the .deb's path, named stunmeshd_<version>_amd64.deb;
#  2. control fields: Depends on the Debian 12 packages of every shared library the binary needs
#     (libc6 >= 2.36, libev4, libmnl0, libsodium23, libyaml-0-2, libjansson4), Recommends libcurl4;
#  3. contents: /usr/bin/stunmeshd, the systemd unit running /usr/bin/stunmeshd, the sysusers file,
#     an example config, the docs; maintainer scripts that never enable or start the service;
#  4. lintian finds no error (where lintian is installed; scripts/install-deps installs it);
#  5. extracted, the binary runs (-version) and `check` passes the packaged example config.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/stunmeshd-package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

out=$(STUNMESHD=$E2E_STUNMESHD bash "$E2E_ROOT/scripts/package" --no-build --out "$work" 2>"$work/package.log") ||
    e2e_fail "scripts/package failed: $(tail -5 "$work/package.log")"
deb=$(tail -n 1 <<<"$out")
[[ -f $deb && $(basename "$deb") =~ ^stunmeshd_[0-9][A-Za-z0-9.+~]*_amd64\.deb$ ]] || e2e_fail "last line is not a .deb: $out"
echo "ok - built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == stunmeshd && $(field Architecture) == amd64 ]] || e2e_fail "Package/Architecture wrong"
depends=$(field Depends)
for want in "libc6 (>= 2.36)" libev4 libmnl0 libsodium23 libyaml-0-2 libjansson4; do
    grep -qF "$want" <<<"$depends" || e2e_fail "Depends lacks $want: $depends"
done
grep -q libcurl4 <<<"$(field Recommends)" || e2e_fail "Recommends lacks libcurl4"
grep -q libc-ares2 <<<"$(field Recommends)" || e2e_fail "Recommends lacks libc-ares2"
! grep -q libcurl <<<"$depends" || e2e_fail "libcurl must not be a Depends: $depends"
echo "ok - Depends: $depends; Recommends: $(field Recommends)"

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for path in ./usr/bin/stunmeshd ./lib/systemd/system/stunmeshd.service ./usr/lib/sysusers.d/stunmeshd.conf \
    ./usr/share/doc/stunmeshd/examples/config.yaml ./usr/share/doc/stunmeshd/docs/config.md \
    ./usr/share/doc/stunmeshd/copyright; do
    grep -qxF "$path" <<<"$contents" || e2e_fail "the package lacks $path"
done
mkdir "$work/control"
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
    sh -n "$work/control/$script" || e2e_fail "$script is not valid sh"
done
! grep -v '^[[:space:]]*#' "$work/control/postinst" |
    grep -Eq 'systemctl +(enable|start|restart)|deb-systemd-invoke +(start|restart)|deb-systemd-helper +enable' ||
    e2e_fail "postinst enables or starts the service"
echo "ok - contents and maintainer scripts (nothing enables or starts the service)"

if command -v lintian >/dev/null; then
    lint=$(lintian "$deb" 2>&1 | grep -v 'root privileges' || true)
    ! grep -q '^E:' <<<"$lint" || e2e_fail "lintian errors: $lint"
    echo "ok - lintian: no errors ($(grep -c '^W:' <<<"$lint" || true) warnings)"
else
    echo "ok - (lintian not installed: not run)"
fi

dpkg-deb -x "$deb" "$work/root"
grep -q '^ExecStart=/usr/bin/stunmeshd ' "$work/root/lib/systemd/system/stunmeshd.service" ||
    e2e_fail "the unit does not run /usr/bin/stunmeshd"
version=$("$work/root/usr/bin/stunmeshd" -version) || e2e_fail "the packaged binary does not run"
check=$("$work/root/usr/bin/stunmeshd" check -c "$work/root/usr/share/doc/stunmeshd/examples/config.yaml" 2>&1) ||
    e2e_fail "the example config fails check: $check"
echo "ok - extracted: '$version'; check of the example config: $(tail -n 1 <<<"$check")"
echo "PASS test_package"
