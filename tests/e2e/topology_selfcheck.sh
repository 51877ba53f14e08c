#!/usr/bin/env bash
# Proves the end-to-end topology with real components and manual steps, no stunmeshd:
#  1. NAT: endpoint-independent mapping with a translated port (same inside port -> same outside
#     port toward two STUN addresses, outside port != inside port), unsolicited inbound dropped;
#     the pp / symmetric / fullcone variants behave as named.
#  2. STUN: coturn answers on 203.0.113.1 and 203.0.113.2 with the NAT's public mapping.
#  3. WireGuard: with each peer's endpoint set by hand to the other's public mapping of :51820
#     (what stunmeshd will automate), the peers handshake and ping through the tunnel in 30 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ok() { echo "ok - $*"; }

## mapped PEER PORT SERVER… — the mapped endpoints (one per line) seen by STUN from PEER:PORT.
mapped() {
    local peer=$1 port=$2
    shift 2
    stun_probe "$peer" "$port" "$@" | awk '{ print $2 }'
}

## inbound_reaches PEER PORT SENDER_IP DEST — does a datagram sent from inet (SENDER_IP:5000) to
## DEST (ip:port) arrive at PEER's socket on PORT?
inbound_reaches() {
    local peer=$1 port=$2 sender=$3 dest=$4
    inpeer "$peer" "$E2E_PYTHON" -I "$E2E_DIR/udp_once.py" recv --bind "0.0.0.0:$port" --timeout 2 \
        >"$E2E_RUN/inbound.out" &
    local listener=$!
    sleep 0.3
    in_ns inet "$E2E_PYTHON" -I "$E2E_DIR/udp_once.py" send --bind "$sender:5000" --to "$dest"
    wait "$listener"
}

S1="$E2E_STUN1:$E2E_STUN_PORT"
S2="$E2E_STUN2:$E2E_STUN_PORT"

topo_two_nats eim eim
start_stun

# --- NAT: endpoint-independent mapping with a translated port (the default) ---
mapfile -t m < <(mapped A 40000 "$S1" "$S2")
expected="${E2E_WAN[A]}:$(nat_public_port 40000)"
[[ ${m[0]:-} == "$expected" && ${m[1]:-} == "$expected" ]] ||
    e2e_fail "eim: expected $expected from both STUN addresses, got '${m[*]}'"
[[ ${m[0]##*:} != 40000 ]] || e2e_fail "eim: outside port was not translated"
ok "eim: inside 10.0.1.2:40000 -> ${m[0]} toward $S1 and $S2 (same mapping, translated port)"

if inbound_reaches A 40000 "$E2E_STUN2" "$expected"; then
    e2e_fail "eim: unsolicited inbound from $E2E_STUN2:5000 reached peerA"
fi
ok "eim: unsolicited inbound from a new remote is dropped"

# --- NAT variants ---
nat_setup A pp
mapfile -t m < <(mapped A 40001 "$S1" "$S2")
[[ ${m[0]:-} == "${E2E_WAN[A]}:40001" && ${m[1]:-} == "${E2E_WAN[A]}:40001" ]] ||
    e2e_fail "pp: expected ${E2E_WAN[A]}:40001 twice, got '${m[*]}'"
ok "pp: port preserved (${m[0]})"

nat_setup A symmetric
mapfile -t m < <(mapped A 40002 "$S1" "$S2")
[[ ${m[0]%:*} == "${E2E_WAN[A]}" && ${m[1]%:*} == "${E2E_WAN[A]}" && ${m[0]} != "${m[1]}" ]] ||
    e2e_fail "symmetric: expected two different mappings, got '${m[*]}'"
ok "symmetric: ${m[0]} toward $S1, ${m[1]} toward $S2"

nat_setup A fullcone
mapfile -t m < <(mapped A 40003 "$S1")
inbound_reaches A 40003 "$E2E_STUN2" "${m[0]}" ||
    e2e_fail "fullcone: inbound from a new remote to ${m[0]} did not reach peerA"
ok "fullcone: ${m[0]} accepts inbound from any remote ($(cat "$E2E_RUN/inbound.out"))"

nat_setup A eim

# --- Public endpoints of the WireGuard port, learned by STUN before wireguard-go binds it ---
pub_a=$(mapped A "$E2E_WG_PORT" "$S1")
pub_b=$(mapped B "$E2E_WG_PORT" "$S1")
[[ $pub_a == "${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT")" ]] || e2e_fail "peerA :51820 mapped to '$pub_a'"
[[ $pub_b == "${E2E_WAN[B]}:$(nat_public_port "$E2E_WG_PORT")" ]] || e2e_fail "peerB :51820 mapped to '$pub_b'"
ok "public endpoints of :$E2E_WG_PORT: A $pub_a, B $pub_b"

# --- WireGuard through both NATs with manual endpoints ---
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
if wg_handshake_age A B >/dev/null; then
    e2e_fail "handshake before any endpoint was set"
fi
t_set=$(e2e_elapsed)
# B first: its packets open natB toward A's mapping (natA drops them); then A initiates.
wg_set_endpoint B A "$pub_a" 5
wg_set_endpoint A B "$pub_b" 5
wait_for 30 wg_handshake_age A B || e2e_fail "no handshake within 30 s of setting endpoints"
t_hs=$(e2e_elapsed)
wait_for 30 tunnel_ping A B || e2e_fail "no ping through the tunnel within 30 s"
t_ping=$(e2e_elapsed)
tunnel_ping B A 3 >/dev/null || e2e_fail "ping B -> A through the tunnel failed"
[[ $(wg_endpoint A B) == "$pub_b" && $(wg_endpoint B A) == "$pub_a" ]] ||
    e2e_fail "endpoints moved: A has $(wg_endpoint A B), B has $(wg_endpoint B A)"
ok "handshake $(awk -v a="$t_set" -v b="$t_hs" 'BEGIN{printf "%.1f", b-a}') s and ping" \
    "$(awk -v a="$t_set" -v b="$t_ping" 'BEGIN{printf "%.1f", b-a}') s after setting endpoints"

echo "PASS topology_selfcheck ($(e2e_elapsed) s)"
