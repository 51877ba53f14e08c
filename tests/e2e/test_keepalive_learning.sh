#!/usr/bin/env bash
# e2e-timeout: 1000
# e2e-beside: waits on NAT timers for ~10 minutes with little CPU; runs beside the other tests
# The keepalive learned from the NATs (docs/keepalive.md), daemon defaults (no `keepalive` key).
# Two scenes at the same time, each its own two-NAT topology with both NATs' conntrack UDP timers
# (unreplied and "stream") set to T: T = 30 s and T = 40 s (the issue's 30/30 and 180/180 scenes
# scaled down to fit CI; bench/keepalive_bytes.sh runs 30/30 and 180/180). In each:
#   1. the leading daemon logs "keepalive learned" within 13 minutes, with a keepalive of at most
#      0.8 × T — and at T = 40 s longer than the default 25 s;
#   2. WireGuard has that keepalive on the leader; the follower's is longer (it stays silent and
#      lets the leader's keepalives keep the flow);
#   3. after the learning, with nothing but keepalives on the flow for 1.5 × T, the leader's side
#      reaches the follower's at the first ping, and then (1.5 × T later) the follower's side the
#      leader's: the flow stayed open both ways;
#   4. no repair was started after the tunnel came up: the tests that found a NAT closed did not
#      make either side think the path was dead;
#   5. each test that found the follower's NAT closed asked the follower to send (a knock through
#      the file store) and the follower punched toward the leader each time, so the leader's side
#      was not cut off until the follower's next keepalive.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ ${1:-} == --scene ]]; then
    timer=$2 out=$3
    E2E_STUNMESHD=$4
    export E2E_KEEPALIVE=none E2E_NAT_UDP_TIMEOUT=$timer E2E_REFRESH=10m
    daemon_pair_up 60
    leader=$(wg_initiator A B)
    follower=$([[ $leader == A ]] && echo B || echo A)
    log_l=$(daemon_log "$leader") log_f=$(daemon_log "$follower")
    wait_for 780 grep -q 'msg="keepalive learned"' "$log_l" ||
        e2e_fail "T=$timer: no keepalive learned in 13 minutes (leader peer$leader): $(grep -c 'keepalive set' "$log_l") keepalive changes"
    line=$(grep 'msg="keepalive learned"' "$log_l" | head -n 1)
    k=$(sed -n 's/.* keepalive=\([0-9]*\).*/\1/p' <<<"$line")
    e2e_log "T=$timer: leader peer$leader learned $k s ($line)"
    (( k * 10 <= timer * 8 )) || e2e_fail "T=$timer: keepalive $k s is over 0.8 × $timer s"
    if ((timer >= 40)); then ((k > 25)) || e2e_fail "T=$timer: keepalive $k s is not longer than the default 25 s"; fi
    wg_k() { inpeer "$1" wg show wg0 persistent-keepalive | awk '{ print $2 }'; }
    kl=$(wg_k "$leader") kf=$(wg_k "$follower")
    [[ $kl == "$k" ]] || e2e_fail "T=$timer: WireGuard on the leader has keepalive $kl, learned $k"
    ((kf > kl)) || e2e_fail "T=$timer: the follower's keepalive $kf is not longer than the leader's $kl"
    # The leader's side first: the follower's NAT is kept open only by the leader's keepalives
    # coming in; then the other way.
    idle=$((3 * timer / 2))
    sleep "$idle"
    daemons_alive
    inpeer "$leader" ping -n -c 1 -W 3 "${E2E_TUN_IP[$follower]}" >/dev/null ||
        e2e_fail "T=$timer: after $idle s of keepalives only, peer$leader could not reach peer$follower"
    sleep "$idle"
    inpeer "$follower" ping -n -c 1 -W 3 "${E2E_TUN_IP[$leader]}" >/dev/null ||
        e2e_fail "T=$timer: after $idle s of keepalives only, peer$follower could not reach peer$leader"
    daemons_alive
    repairs=$(cat "$log_l" "$log_f" | grep -c 'path failed' || true)
    ((repairs == 0)) || e2e_fail "T=$timer: $repairs repairs: $(cat "$log_l" "$log_f" | grep 'path failed' | head -3)"
    asked=$(grep -c 'asking the partner to send' "$log_l" || true)
    punched=$(grep -c 'the peer wrote its record again without moving: punching toward it' "$log_f" || true)
    ((punched >= asked)) || e2e_fail "T=$timer: the leader asked the follower to send $asked times; it punched $punched times"
    echo "ok - T=$timer s: keepalive learned $k s (follower $kf s); both sides reached each other after $idle s of keepalives only; no repair; the follower was asked to send $asked times and punched $punched times" >"$out"
    exit 0
fi

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
results=$(mktemp -d)
pids=()
for timer in 30 40; do
    bash "$0" --scene "$timer" "$results/$timer" "$E2E_STUNMESHD" >"$results/$timer.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for timer in 30 40; do
    if [[ -s $results/$timer ]]; then
        cat "$results/$timer"
    else
        echo "FAIL: scene T=$timer s: $(grep -m 1 "T=$timer:" "$results/$timer.log" || echo "see below")"
        tail -n 60 "$results/$timer.log"
    fi
done
rm -rf "$results"
((status == 0)) || exit 1
echo "PASS test_keepalive_learning"
