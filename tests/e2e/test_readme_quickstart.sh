#!/usr/bin/env bash
# README's "Two real sites", followed as written in two namespaces behind two NATs: the config is
# the README's heredoc, taken from README.md at run time, with only what cannot be reached from here
# replaced (the public STUN servers by the local coturn's two addresses, the public OpenDHT proxies
# by two local dhtnode proxies, the key placeholder by the other site's key; the test fails if any of
# them is no longer in the README). Each site sees it at /etc/stunmesh/config.yaml (a bind mount in
# its own mount namespace, as is /run/stunmeshd), and runs the README's commands: `stunmeshd check`
# (exit 0), the daemon without flags, `stunmeshd status` (the peer up). Then natA gives siteA a new
# public port and the tunnel must work again (bound 30 s; bench/reconnect.sh has the figures).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
readme="$E2E_ROOT/README.md"

# The heredoc of the "Two real sites" section.
template=$(awk '/^## Two real sites/ { s = 1 } s && /<<'"'"'YAML'"'"'$/ { y = 1; next } y && /^YAML$/ { exit } y { print }' "$readme")
[[ -n $template ]] || e2e_fail "no config heredoc in README.md's \"Two real sites\""
for placeholder in '"stun.l.google.com:19302"' '"stun.cloudflare.com:3478"' '"https://dhtproxy2.jami.net"' \
    '"https://dhtproxy3.jami.net"' "<the other site's WireGuard public key>"; do
    grep -qF -- "$placeholder" <<<"$template" || e2e_fail "README.md's quick start no longer has $placeholder"
done
commands=$(awk '/^## Two real sites/ { s = 1 } s && /^```sh$/ { c = 1; next } c && /^```$/ { exit } c { print }' "$readme")
for command in "stunmeshd check" "stunmeshd status"; do
    grep -q "^$command" <<<"$commands" || e2e_fail "README.md's quick start no longer runs '$command'"
done

topo_two_nats eim eim
start_stun
start_opendht
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
# wg_pair sets no endpoint: WireGuard set up, keys exchanged, as the README assumes.
inpeer A wg show wg0 endpoints | grep -q '(none)' || e2e_fail "peerA already has an endpoint"

# /etc/stunmesh, /run/stunmeshd and /var/lib/stunmeshd of each site are its own (two hosts).
# Mount points this test had to create on the host are removed after the run, whatever its outcome.
made=()
for dir in /etc/stunmesh /run/stunmeshd /var/lib/stunmeshd; do [[ -d $dir ]] || { mkdir -p "$dir"; made+=("$dir"); }; done
remove_made() { local d; for d in "${made[@]:-}"; do [[ -z $d ]] || rmdir "$d" 2>/dev/null || true; done; }
trap 'rc=$?; cleanup "$rc"; remove_made; exit "$rc"' EXIT
declare -A pid
for site in A B; do
    other=$([[ $site == A ]] && echo B || echo A)
    dir=$(e2e_peer_dir "$site")
    mkdir -p "$dir/etc-stunmesh" "$dir/run-stunmeshd" "$dir/var-lib-stunmeshd"
    inpeer "$site" mount --bind "$dir/etc-stunmesh" /etc/stunmesh
    inpeer "$site" mount --bind "$dir/run-stunmeshd" /run/stunmeshd
    inpeer "$site" mount --bind "$dir/var-lib-stunmeshd" /var/lib/stunmeshd
    sed -e "s|\"stun.l.google.com:19302\"|\"$E2E_STUN1:$E2E_STUN_PORT\"|" \
        -e "s|\"stun.cloudflare.com:3478\"|\"$E2E_STUN2:$E2E_STUN_PORT\"|" \
        -e "s|\"https://dhtproxy2.jami.net\"|\"${E2E_DHT_PROXIES[0]}\"|" \
        -e "s|\"https://dhtproxy3.jami.net\"|\"${E2E_DHT_PROXIES[1]}\"|" \
        -e "s|<the other site's WireGuard public key>|$(wg_pubkey "$other")|" <<<"$template" >"$dir/etc-stunmesh/config.yaml"
    out=$(inpeer "$site" env -u STUNMESH_CONFIG_DIR "$E2E_STUNMESHD" check 2>&1) ||
        e2e_fail "site $site: stunmeshd check failed: $out"
    echo "ok - site $site: stunmeshd check: $(tail -n 1 <<<"$out")"
    inpeer_bg "$site" stunmeshd env -u STUNMESH_CONFIG_DIR "$E2E_STUNMESHD"
    pid[$site]=$E2E_LAST_PID
done
t0=$(now_ts)
wait_for 30 tunnel_ping A B 1 || e2e_fail "the tunnel did not come up within 30 s"
echo "ok - the tunnel came up $(seconds_since "$t0") s after both sites started"
# The status file is rewritten every 10 s.
site_up() { inpeer "$1" env -u STUNMESH_CONFIG_DIR "$E2E_STUNMESHD" status 2>&1 | grep -q ": 1/1 peers up"; }
for site in A B; do
    wait_for 15 site_up "$site" ||
        e2e_fail "site $site: status does not say the peer is up: $(inpeer "$site" "$E2E_STUNMESHD" status 2>&1)"
done
echo "ok - stunmeshd status on both sites: 1/1 peers up"
[[ -s $(e2e_peer_dir A)/var-lib-stunmeshd/replay.json ]] || e2e_fail "siteA kept no replay state in /var/lib/stunmeshd/replay.json"

sleep 3
fault_nat_port A
t_fault=$(now_ts)
healed=$(restore_time A B "$t_fault" 30) || e2e_fail "the tunnel did not work again within 30 s of natA's new port"
echo "ok - natA gave siteA a new public port: the tunnel works again after $healed s"
for site in A B; do kill -TERM "${pid[$site]}"; done
wait_for 10 bash -c "! kill -0 ${pid[A]} 2>/dev/null && ! kill -0 ${pid[B]} 2>/dev/null" || e2e_fail "the daemons did not stop"
echo "PASS test_readme_quickstart ($(e2e_elapsed) s)"
