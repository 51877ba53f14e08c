#!/usr/bin/env bash
# NAT type detection end to end (IPv4): stunmeshd asks both STUN addresses at once and compares
# the mappings.
#   1. natA symmetric, natB endpoint-independent: A says its NAT is symmetric and publishes
#      "nat":{"ipv4":"symmetric"}; B judges its own NAT endpoint-independent; both explain that
#      a direct path is likely impossible.
#   2. both symmetric (daemons restarted): both say a direct path is impossible.
# Only log lines and records are checked; no connection is expected.
#
#   STUNMESHD=/path/to/stunmeshd bash tests/e2e/test_nat_type.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BOUND=${E2E_BOUND:-30}

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats symmetric eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

pid_a="" pid_b=""

## start_phase NAME — both daemons, interface and peer protocol ipv4, logs stunmeshd-NAME.log.
start_phase() {
    inpeer_bg A "stunmeshd-$1" "$E2E_STUNMESHD" -c "$(write_stunmesh_config_family A B ipv4 ipv4)"
    pid_a=$E2E_LAST_PID
    inpeer_bg B "stunmeshd-$1" "$E2E_STUNMESHD" -c "$(write_stunmesh_config_family B A ipv4 ipv4)"
    pid_b=$E2E_LAST_PID
}

stop_phase() {
    local pid
    for pid in "$pid_a" "$pid_b"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # The next phase must not read this phase's records (a node judges the peer's NAT from
    # the record it reads; an old one is only corrected at the next read).
    rm -f "$E2E_STORE"/*
}

## expect_log PEER PHASE REGEX WHAT — wait (bounded) until peer<PEER>'s log of PHASE matches REGEX.
expect_log() {
    local log
    log="$(e2e_peer_dir "$1")/stunmeshd-$2.log"
    wait_for "$BOUND" grep -qE "$3" "$log" || e2e_fail "$2: peer$1 did not log $4"
    echo "ok - $2: peer$1 logged $4"
}

start_phase one-symmetric
expect_log A one-symmetric 'NAT maps per destination \(symmetric\).*family=ipv4' "its symmetric NAT"
expect_log B one-symmetric 'NAT behaviour.*family=ipv4.*nat=endpoint-independent' "its endpoint-independent NAT"
expect_log A one-symmetric 'direct path likely impossible: our NAT is symmetric' "that its own NAT makes a direct path unlikely"
expect_log B one-symmetric "direct path likely impossible: the peer's NAT is symmetric" "that the peer's NAT makes a direct path unlikely"
record_a=$(store_record A B | without_ts) || e2e_fail "no readable record from A for B"
[[ $record_a =~ ^\{\"ipv4\":\"203\.0\.113\.10:[0-9]+\",\"nat\":\{\"ipv4\":\"symmetric\"\}\}$ ]] ||
    e2e_fail "A's record is $record_a"
record_b=$(store_record B A | without_ts) || e2e_fail "no readable record from B for A"
[[ $record_b == "{\"ipv4\":\"${E2E_WAN[B]}:$(nat_public_port "$E2E_WG_PORT")\"}" ]] || e2e_fail "B's record is $record_b"
echo "ok - records: A $record_a, B $record_b"
stop_phase

nat_setup B symmetric
start_phase both-symmetric
for side in A B; do
    expect_log "$side" both-symmetric 'direct path impossible: both NATs are symmetric' "that a direct path is impossible"
done
kill -USR1 "$pid_a"
expect_log A both-symmetric 'msg=health.*direct_path="direct path impossible.*nat_ipv4=symmetric' \
    "the NAT type and the direct-path judgement in its SIGUSR1 health line"
echo "PASS test_nat_type ($(e2e_elapsed) s)"
