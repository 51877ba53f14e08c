#!/usr/bin/env bash
# Path judgement end to end (docs/path-judgement.md), daemon defaults (no ping keys in the file):
#   1. idle: once the tunnel is up, no probe crosses the tunnel — no ICMP on either wg0 for 30 s
#      (an nftables counter on wg0's output), only WireGuard's keepalives;
#   2. loss without change: 20 % loss each way on A's uplink (nftables `numgen random` in natA's
#      forward chain) for 60 s with tunnel traffic both ways every 0.25 s: no repair on either side
#      ("path failed" never logged), at most 2 store reads per daemon, and the tunnel's ping loss
#      within 10 points of the loss the same pings see outside the tunnel — measured in the same run;
#   3. traffic-driven detection on both sides: loss removed, traffic both ways, then natA gives A a
#      new public port: both daemons find the path dead from the unanswered traffic
#      (`path failed (unanswered)`; B may still be confirming when A's new record reaches it) and
#      the tunnel answers again within 5 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"
LOSS_SECONDS=${LOSS_SECONDS:-60}

daemon_pair_up
log_a=$(daemon_log A) log_b=$(daemon_log B)

## icmp_counter PEER add|read — nftables counters of ICMP echo requests and replies leaving
## peer<PEER>'s wg0 (the kernel's own router solicitations on the new interface are not probes).
icmp_counter() {
    if [[ $2 == add ]]; then
        inpeer "$1" nft -f - <<<'table inet probes { chain out { type filter hook output priority 0; oifname "wg0" icmp type { echo-request, echo-reply } counter; oifname "wg0" icmpv6 type { echo-request, echo-reply } counter; }; }'
    else
        inpeer "$1" nft list chain inet probes out | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
    fi
}
## reads PEER — store gets this daemon made so far (its status file, after a SIGUSR1 dump).
reads() {
    local dir status before
    dir=$(e2e_peer_dir "$1") status="$(e2e_peer_dir "$1")/status.json"
    before=$(stat -c %Y.%N "$status" 2>/dev/null || true)
    kill -USR1 "${E2E_DAEMON_PID[$1]}"
    wait_for 5 bash -c "[[ \$(stat -c %Y.%N '$status' 2>/dev/null) != '$before' ]]" || true
    "$E2E_PYTHON" -I -c 'import json,sys; s=json.load(open(sys.argv[1])); print(sum(x["calls"]["get"] for x in s["peers"][0]["stores"]))' "$status"
}
## traffic_start / traffic_stop — tunnel pings both ways every 0.25 s (the user's traffic).
traffic_start() {
    inpeer_bg A traffic-a ping -n -i 0.25 "${E2E_TUN_IP[B]}"
    traffic_a=$E2E_LAST_PID
    inpeer_bg B traffic-b ping -n -i 0.25 "${E2E_TUN_IP[A]}"
    traffic_b=$E2E_LAST_PID
}
traffic_stop() { kill -INT "$traffic_a" "$traffic_b" 2>/dev/null || true; wait "$traffic_a" "$traffic_b" 2>/dev/null || true; }

# --- 1. idle: nothing but keepalives ----------------------------------------------------------
icmp_counter A add
icmp_counter B add
sleep 30
daemons_alive
idle_a=$(icmp_counter A read) idle_b=$(icmp_counter B read)
((idle_a == 0 && idle_b == 0)) || e2e_fail "probes crossed the idle tunnel: $idle_a ICMP from A, $idle_b from B in 30 s"
echo "ok - idle for 30 s: no ICMP through the tunnel from either daemon"

# --- 2. 20 % loss each way on A's uplink, traffic both ways --------------------------------------
reads_a0=$(reads A) reads_b0=$(reads B)
mark_a=$(wc -l <"$log_a") mark_b=$(wc -l <"$log_b")
in_ns natA nft -f - <<<'table inet loss { chain forward { type filter hook forward priority -10; numgen random mod 100 < 20 counter drop; }; }'
traffic_start
# The same loss outside the tunnel: A pings natB's WAN address (answered by natB itself).
inpeer_bg A raw-ping ping -n -i 0.25 "${E2E_WAN[B]}"
raw=$E2E_LAST_PID
sleep "$LOSS_SECONDS"
kill -INT "$raw" 2>/dev/null || true
wait "$raw" 2>/dev/null || true
traffic_stop
in_ns natA nft delete table inet loss
daemons_alive
repairs=$( (tail -n "+$((mark_a + 1))" "$log_a"; tail -n "+$((mark_b + 1))" "$log_b") | grep -c 'path failed' || true)
reads_a=$(($(reads A) - reads_a0)) reads_b=$(($(reads B) - reads_b0))
loss_of() { sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$(e2e_peer_dir "$1")/$2.log" | head -n 1; }
tunnel_loss=$(loss_of A traffic-a) raw_loss=$(loss_of A raw-ping)
e2e_log "under 20 % loss: $repairs repairs, store reads A $reads_a B $reads_b, tunnel loss $tunnel_loss %, raw path $raw_loss %"
((repairs == 0)) || e2e_fail "$repairs repairs under loss: $( (tail -n "+$((mark_a + 1))" "$log_a"; tail -n "+$((mark_b + 1))" "$log_b") | grep 'path failed' | head -5)"
((reads_a <= 2 && reads_b <= 2)) || e2e_fail "store reads under loss: A $reads_a, B $reads_b"
"$E2E_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) + 10 else 1)' "$tunnel_loss" "$raw_loss" ||
    e2e_fail "tunnel loss $tunnel_loss % against $raw_loss % outside the tunnel"
echo "ok - 20 % loss for $LOSS_SECONDS s with traffic: 0 repairs, store reads A $reads_a B $reads_b, tunnel loss $tunnel_loss % (raw $raw_loss %)"

# --- 3. a real fault under traffic: both sides find it from the traffic ---------------------------
sleep 2
mark_a=$(wc -l <"$log_a") mark_b=$(wc -l <"$log_b")
traffic_start
sleep 3
fault_nat_port A
t0=$(now_ts)
dt=$(restore_time A B "$t0" 15) || { traffic_stop; e2e_fail "no tunnel within 15 s of the fault"; }
sleep 1
traffic_stop
tail -n "+$((mark_a + 1))" "$log_a" | grep -q 'path failed (unanswered)' || e2e_fail "A did not judge the path dead from its traffic"
# B either judges it dead itself or is still confirming its suspicion when A's new record arrives
# (the file store's notification can beat B's burst by a few milliseconds): both come from B's traffic.
tail -n "+$((mark_b + 1))" "$log_b" | grep -Eq 'path failed \(unanswered\)|path suspect: confirming' ||
    e2e_fail "B did not suspect the path from its traffic"
"$E2E_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 5 else 1)' "$dt" || e2e_fail "restore took $dt s"
daemons_alive
echo "ok - A's new public port under traffic: both daemons found the path dead from the traffic; restored in $dt s"
echo "PASS test_path_judgement ($(e2e_elapsed) s)"
