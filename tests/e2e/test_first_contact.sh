#!/usr/bin/env bash
# e2e-timeout: 300
# First contact with traffic already flowing into the tunnel (issue #13, docs/first-contact.md):
# WireGuard allows one handshake initiation per 5 s and spends it on traffic even before an
# endpoint is set; the opening (punches both ways, then one side initiates) must get the tunnel up
# without waiting for WireGuard's next retry wherever one side's limit is free. Scenes, in
# parallel, each its own two-NAT topology (first_contact_lib.sh), timed from the later start:
#   - traffic from the initiator only, the initiator starting 3 s after the responder: the
#     responder initiates (its limit is free): ≤ 3 s (the old rule, "the initiator kicks at once",
#     took 5.1 s in 7 of 11 one-sided starts);
#   - traffic from the responder only, offset 0: the initiator initiates once it sees the
#     responder's punch: ≤ 3 s;
#   - no traffic, the responder starting 25 s after the initiator: ≤ 3 s;
#   - traffic from both sides, offset 0 (file store) and 3 s (OpenDHT): ≤ 12 s (both limits spent:
#     WireGuard's own retry, every 5-5.33 s, is the floor; twice that is the bound).
# The bounds are generous (bench/skeleton.sh --first-contact measures the figures) and each of the
# ≤ 3 s ones fails on the old behaviour's usual 5.1 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stores_lib.sh"
source "$(dirname "$0")/first_contact_lib.sh"

if [[ ${1:-} == --scene ]]; then
    shift
    offset=$1 first=$2 traffic=$3 store=$4 E2E_STUNMESHD=$5 out=$6
    first_contact_scene "$offset" "$first" "$traffic" "$store" >"$out"
    exit 0
fi

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
results=$(mktemp -d)
# name, offset, who starts first, traffic, store, bound (s)
scenes=(
    "initiator-traffic 3 responder initiator file 3"
    "responder-traffic 0 initiator responder file 3"
    "no-traffic-25s 25 initiator none file 3"
    "both-traffic 0 initiator both file 12"
    "both-traffic-opendht 3 responder both opendht 12"
)
pids=()
for scene in "${scenes[@]}"; do
    read -r name offset first traffic store bound <<<"$scene"
    bash "$0" --scene "$offset" "$first" "$traffic" "$store" "$E2E_STUNMESHD" "$results/$name" >"$results/$name.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for scene in "${scenes[@]}"; do
    read -r name offset first traffic store bound <<<"$scene"
    what="offset $offset s, $first first, traffic from $traffic, $store store"
    if [[ -s $results/$name ]]; then
        read -r took initiator how <"$results/$name"
        if awk -v t="$took" -v b="$bound" 'BEGIN { exit !(t <= b) }'; then
            echo "ok - $name ($what): up $took s after the later start (≤ $bound s; ${how//_/ })"
        else
            echo "FAIL: $name ($what): up only $took s after the later start (bound $bound s; ${how//_/ })"
            status=1
        fi
    else
        echo "FAIL: $name ($what): $(grep -m 1 'FAIL' "$results/$name.log" || echo "see below")"
        tail -n 40 "$results/$name.log"
        status=1
    fi
done
rm -rf "$results"
((status == 0)) || exit 1
echo "PASS test_first_contact"
