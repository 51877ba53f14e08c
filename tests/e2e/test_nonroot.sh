#!/usr/bin/env bash
# Non-root, end to end (issue #16): peerA's daemon runs as an unprivileged user (uid/gid 64000,
# no entry in /etc/passwd needed) with only CAP_NET_ADMIN and CAP_NET_RAW (ambient, as the systemd
# unit gives them), against wireguard-go:
#   1. without access to wireguard-go's UAPI socket (root's, mode 0700) it says why in plain words
#      with the fix, and keeps running;
#   2. with the documented way in (CAP_DAC_OVERRIDE besides the two) it connects the tunnel like
#      root does. (Changing the socket's owner or mode is no way in: wireguard-go takes the
#      attribute change for the socket's removal and shuts the interface down — seen here.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
command -v setpriv >/dev/null || e2e_fail "setpriv (util-linux) is needed"
uid=64000
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
dir=$(e2e_peer_dir A)
# What the unprivileged daemon must reach: its config, a directory for its status and state, the store.
chmod o+x "$E2E_RUN" "$dir"
mkdir -p "$dir/own"
chown "$uid:$uid" "$dir/own"
chmod 777 "$E2E_STORE"
conf_a="$dir/own/config.yaml"
write_stunmesh_config A B >/dev/null
sed -e "s|$dir/status.json|$dir/own/status.json|" -e "s|$dir/replay.json|$dir/own/replay.json|" "$dir/config.yaml" >"$conf_a"
chmod 644 "$conf_a"
start_stunmeshd B "$(write_stunmesh_config B A)"

## run_unprivileged NAME CAPS — the daemon as uid $uid with CAPS (e.g. +net_admin,+net_raw) only.
run_unprivileged() {
    inpeer_bg A "$1" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
        --inh-caps="$2" --ambient-caps="$2" -- "$E2E_STUNMESHD" -c "$conf_a"
}

# 1. No access to the UAPI socket.
socket="$dir/run-wireguard/wg0.sock"
stat -c '%U %a' "$socket" | grep -q '^root ' || e2e_fail "wireguard-go's socket is not root's: $(stat -c '%U %a' "$socket")"
run_unprivileged denied +net_admin,+net_raw
pid=$E2E_LAST_PID
log="$dir/denied.log"
wait_for 15 grep -q 'permission denied on the UAPI socket' "$log" ||
    e2e_fail "the unprivileged daemon did not say why it cannot reach WireGuard: $(tail -n 5 "$log")"
grep -q 'CAP_DAC_OVERRIDE' "$log" || e2e_fail "the message does not say how to fix it"
kill -0 "$pid" || e2e_fail "the daemon exited instead of waiting for access"
grep -o 'permission denied on the UAPI socket[^"]*' "$log" | head -n 1 | sed 's/^/    /'
echo "ok - unprivileged without access: says why, with the fix, and keeps running"
kill -TERM "$pid"
wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || e2e_fail "the daemon did not stop"

# 2. The documented way in: CAP_DAC_OVERRIDE as well.
run_unprivileged granted +net_admin,+net_raw,+dac_override
pid=$E2E_LAST_PID
wait_for 30 tunnel_ping A B 1 || e2e_fail "the unprivileged daemon did not connect: $(tail -n 5 "$dir/granted.log")"
[[ $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status") == "$uid" ]] || e2e_fail "the daemon does not run as uid $uid"
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
[[ $caps == 0000000000003002 ]] || e2e_fail "effective capabilities $caps, want CAP_NET_ADMIN|CAP_NET_RAW|CAP_DAC_OVERRIDE (0x3002)"
echo "ok - unprivileged with CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_NET_RAW only: uid $uid, CapEff $caps, the tunnel is up"
echo "PASS test_nonroot ($(e2e_elapsed) s)"
