#!/usr/bin/env bash
# First contact with traffic already flowing (issue #13, docs/first-contact.md): one scene, used by
# tests/e2e/test_first_contact.sh and bench/skeleton.sh. Source after lib.sh (and stores_lib.sh for
# STORE=opendht).

## first_contact_scene OFFSET FIRST TRAFFIC STORE [BOUND] — the two-NAT topology, wireguard-go in A
## (10.99.0.1) and B (10.99.0.2) paired with no endpoint; traffic into the tunnel from before either
## daemon starts (TRAFFIC: none, both, initiator, responder, A or B: a ping every 0.2 s from that
## side to the other's tunnel address); the daemon of FIRST (A, B, initiator or responder) starts,
## then OFFSET seconds later the other's. STORE: file or opendht. Prints "SECONDS INITIATOR HOW": from the
## later start to both sides having a handshake (polled every 0.05 s), the initiating peer, and
## which rules decided to initiate, in time order (from the logs; none: WireGuard's own retry). Fails after BOUND (default 40) seconds.
first_contact_scene() {
    local offset=$1 first=$2 traffic=$3 store=$4 bound=${5:-40}
    topo_two_nats eim eim
    start_stun
    [[ $store == opendht ]] && start_opendht
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    wg_pair A B
    local initiator responder
    initiator=$(wg_initiator A B)
    responder=$([[ $initiator == A ]] && echo B || echo A)
    case $first in
        initiator) first=$initiator ;;
        responder) first=$responder ;;
        A | B) ;;
        *) e2e_fail "first_contact_scene: first must be A, B, initiator or responder" ;;
    esac
    local second
    second=$([[ $first == A ]] && echo B || echo A)
    local senders=()
    case $traffic in
        none) ;;
        both) senders=(A B) ;;
        initiator) senders=("$initiator") ;;
        responder) senders=("$responder") ;;
        A | B) senders=("$traffic") ;;
        *) e2e_fail "first_contact_scene: traffic must be none, both, initiator, responder, A or B" ;;
    esac
    # Each sender starts at its own random moment in the 5 s before the first daemon does (as on
    # a router where traffic has flowed for a while): each side's WireGuard retries its
    # initiation every 5-5.33 s from its own start, so the two retry clocks are independent and
    # each is anywhere in its cycle when the path opens. Starting both at once would line them up
    # (the worst case, not the usual one).
    local s other at=0 plan=()
    for s in "${senders[@]}"; do plan+=("$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", r / 32767 * 5 }') $s"); done
    while read -r when s; do
        [[ -n $s ]] || continue
        other=$([[ $s == A ]] && echo B || echo A)
        sleep "$(awk -v a="$when" -v b="$at" 'BEGIN { printf "%.2f", a - b }')"
        at=$when
        inpeer_bg "$s" "traffic-$s" ping -n -i 0.2 "${E2E_TUN_IP[$other]}"
        echo "traffic: peer$s from $when s" >&2
    done < <(printf '%s\n' "${plan[@]}" | sort -n)
    local conf_a conf_b
    if [[ $store == opendht ]]; then
        local plugins="  dht: $(opendht_plugin_yaml)"
        conf_a=$(write_store_config A B "plugin: dht" "$plugins")
        conf_b=$(write_store_config B A "plugin: dht" "$plugins")
    else
        conf_a=$(write_stunmesh_config A B)
        conf_b=$(write_stunmesh_config B A)
    fi
    # The first daemon starts 5.2 s after the window opened (traffic or not, for the same timing).
    sleep "$(awk -v b="$at" 'BEGIN { printf "%.2f", 5.2 - b }')"
    local conf_first conf_second
    conf_first=$([[ $first == A ]] && echo "$conf_a" || echo "$conf_b")
    conf_second=$([[ $first == A ]] && echo "$conf_b" || echo "$conf_a")
    start_stunmeshd "$first" "$conf_first"
    sleep "$offset"
    local t0
    t0=$(now_ts)
    start_stunmeshd "$second" "$conf_second"
    has_handshake() { inpeer "$1" wg show wg0 latest-handshakes | awk '$2 > 0 { ok = 1 } END { exit !ok }'; }
    local deadline=$((SECONDS + bound))
    until has_handshake A && has_handshake B; do
        daemons_alive
        ((SECONDS < deadline)) || e2e_fail "first contact (offset $offset s, peer$first first (initiator peer$initiator), traffic $traffic," \
            "$store store): no handshake within $bound s of the later start"
        sleep 0.05
    done
    local took how
    took=$(seconds_since "$t0")
    # Every decision to initiate, in time order (the logs' lines start with their timestamp).
    how=$(sort "$(daemon_log A)" "$(daemon_log B)" | sed -n 's/.*msg="initiating the handshake: \([^":(]*\).*/\1/p' |
        sed 's/ *$//' | tr ' ' '_' | paste -sd '+')
    echo "$took $initiator ${how:-wireguard_retry}"
}
