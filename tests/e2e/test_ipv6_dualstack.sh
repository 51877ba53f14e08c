#!/usr/bin/env bash
# Dual stack end to end: the two-NAT IPv4 topology (endpoint-independent NATs with translated
# ports) plus routed IPv6 behind stateful firewalls. Both stunmeshd run with interface
# `protocol: dualstack`, so each record carries both families ({"ipv4":…,"ipv6":…}, IPv4 first).
#   1. peers configured `prefer_ipv6`: WireGuard connects over IPv6 endpoints;
#   2. same records, peers configured `prefer_ipv4` (daemons restarted, WireGuard peers re-added
#      without endpoints): WireGuard connects over the public IPv4 NAT mappings.
#   3. A's interface `protocol` changed by SIGHUP, dualstack → ipv4 → dualstack: A's record
#      follows each time (IPv4 only, then both families) without a restart, and the tunnel stays.
# Each phase must handshake and ping through the tunnel with no manual step.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_ipv6_dualstack.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-60}

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
topo_add_ipv6
start_stun_dualstack
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

public_v4_a="${E2E_WAN[A]}:$(nat_public_port "$E2E_WG_PORT")"
public_v4_b="${E2E_WAN[B]}:$(nat_public_port "$E2E_WG_PORT")"
public_v6_a="[${E2E_LAN6_IP[A]}]:$E2E_WG_PORT"
public_v6_b="[${E2E_LAN6_IP[B]}]:$E2E_WG_PORT"

pid_a="" pid_b=""

## run_phase PEER_PROTOCOL — start both daemons with dualstack interfaces and PEER_PROTOCOL peers;
## wait (bounded) until both sides handshake and ping through the tunnel.
run_phase() {
    local peer_protocol=$1 t_start deadline
    # One log per phase: <run>/peer<X>/stunmeshd-<protocol>.log.
    inpeer_bg A "stunmeshd-$peer_protocol" "$E2E_STUNMESHD" -c "$(write_stunmesh_config_family A B dualstack "$peer_protocol")"
    pid_a=$E2E_LAST_PID
    inpeer_bg B "stunmeshd-$peer_protocol" "$E2E_STUNMESHD" -c "$(write_stunmesh_config_family B A dualstack "$peer_protocol")"
    pid_b=$E2E_LAST_PID
    t_start=$SECONDS
    e2e_log "$peer_protocol: stunmeshd started in peerA (pid $pid_a) and peerB (pid $pid_b)"
    deadline=$((SECONDS + BOUND))
    until wg_handshake_age A B >/dev/null && wg_handshake_age B A >/dev/null && tunnel_ping A B >/dev/null; do
        kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA exited"
        kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
        ((SECONDS < deadline)) || e2e_fail "$peer_protocol: no handshake and tunnel ping within $BOUND s" \
            "(A endpoint for B: $(wg_endpoint A B), B endpoint for A: $(wg_endpoint B A))"
        sleep 0.5
    done
    tunnel_ping B A 3 >/dev/null || e2e_fail "$peer_protocol: ping B -> A through the tunnel failed"
    e2e_log "$peer_protocol: connected in about $((SECONDS - t_start)) s: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"
}

## stop_phase — stop both daemons (our own pids) and re-add the WireGuard peers, so the next
## phase starts with no endpoint and no session.
stop_phase() {
    local pid
    for pid in "$pid_a" "$pid_b"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    inpeer A wg set wg0 peer "$(wg_pubkey B)" remove
    inpeer B wg set wg0 peer "$(wg_pubkey A)" remove
    wg_pair A B
}

# Phase 1: prefer_ipv6.
run_phase prefer_ipv6
[[ $(wg_endpoint A B) == "$public_v6_b" ]] || e2e_fail "prefer_ipv6: A's endpoint for B is $(wg_endpoint A B)"
[[ $(wg_endpoint B A) == "$public_v6_a" ]] || e2e_fail "prefer_ipv6: B's endpoint for A is $(wg_endpoint B A)"
record_a=$(store_record A B | without_ts) || e2e_fail "no readable record from A for B"
record_b=$(store_record B A | without_ts) || e2e_fail "no readable record from B for A"
[[ $record_a == "{\"ipv4\":\"$public_v4_a\",\"ipv6\":\"$public_v6_a\"}" ]] || e2e_fail "A's record is $record_a"
[[ $record_b == "{\"ipv4\":\"$public_v4_b\",\"ipv6\":\"$public_v6_b\"}" ]] || e2e_fail "B's record is $record_b"
log_a="$(e2e_peer_dir A)/stunmeshd-prefer_ipv6.log"
grep -q 'NAT behaviour.*family=ipv4.*nat=endpoint-independent' "$log_a" ||
    e2e_fail "peerA did not judge its IPv4 NAT endpoint-independent"
grep -q 'NAT behaviour.*family=ipv6.*nat="not translated"' "$log_a" ||
    e2e_fail "peerA did not judge its IPv6 path not translated"
echo "ok - prefer_ipv6 connects over IPv6: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A); A's record $record_a"
stop_phase

# Phase 2: prefer_ipv4, the same dual-stack records.
run_phase prefer_ipv4
[[ $(wg_endpoint A B) == "$public_v4_b" ]] || e2e_fail "prefer_ipv4: A's endpoint for B is $(wg_endpoint A B)"
[[ $(wg_endpoint B A) == "$public_v4_a" ]] || e2e_fail "prefer_ipv4: B's endpoint for A is $(wg_endpoint B A)"
echo "ok - prefer_ipv4 connects over the IPv4 NATs: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"

# Phase 3: the interface's protocol changed by a reload.
## reload_a_protocol PROTOCOL EXPECTED_RECORD — rewrite A's config with interface PROTOCOL, SIGHUP,
## and wait (bounded) for A's record to be EXPECTED_RECORD.
reload_a_protocol() {
    local deadline=$((SECONDS + 20)) record=""
    write_stunmesh_config_family A B "$1" prefer_ipv4 >/dev/null
    kill -HUP "$pid_a"
    until [[ $record == "$2" ]]; do
        ((SECONDS < deadline)) || e2e_fail "after reloading protocol $1, A's record is still $record"
        sleep 0.3
        record=$(store_record A B | without_ts) || record=""
    done
    kill -0 "$pid_a" || e2e_fail "stunmeshd in peerA exited on reload"
}
reload_a_protocol ipv4 "{\"ipv4\":\"$public_v4_a\"}"
grep -q 'msg="config reloaded" changed=1 started=1 stopped=1' "$(e2e_peer_dir A)/stunmeshd-prefer_ipv4.log" ||
    e2e_fail "the protocol change did not restart exactly peer_b"
reload_a_protocol dualstack "{\"ipv4\":\"$public_v4_a\",\"ipv6\":\"$public_v6_a\"}"
tunnel_ping A B 3 >/dev/null || e2e_fail "no tunnel after the protocol reloads"
echo "ok - SIGHUP changed A's interface protocol to ipv4 (record IPv4 only) and back to dualstack (both families)"
echo "PASS test_ipv6_dualstack ($(e2e_elapsed) s)"
