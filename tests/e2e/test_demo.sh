#!/usr/bin/env bash
# The README's first command, scripts/demo (without installing packages or building: it uses the
# binary under test): it ends with exit 0, narrates first contact and the handshake, heals peerA's
# NAT rebinding and says how long that took, and leaves no namespace behind.
# e2e-timeout: 240
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
out=$(STUNMESHD=$E2E_STUNMESHD timeout 200 bash "$E2E_ROOT/scripts/demo" --no-deps --no-build 2>&1) && rc=0 || rc=$?
plain=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$out")
((rc == 0)) || { echo "$plain" | tail -n 40; e2e_fail "scripts/demo exited $rc"; }
for line in "WireGuard handshake completed" "discovered its public endpoint" "published its endpoint" \
    "punches from WireGuard's port" "The carrier moves peerA" "noticed the tunnel stopped answering" \
    "The tunnel works again" "0 namespaces left from this run"; do
    grep -qF "$line" <<<"$plain" || { echo "$plain" | tail -n 40; e2e_fail "the demo did not say: $line"; }
done
healed=$(sed -n 's/.*The tunnel works again \([0-9.]*\) s after the NAT changed.*/\1/p' <<<"$plain")
echo "ok - scripts/demo: first contact narrated, the rebinding healed in $healed s, nothing left behind"
echo "PASS test_demo"
