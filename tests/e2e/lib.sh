# shellcheck shell=bash
# tests/e2e/lib.sh — network-namespace topology for stunmeshd end-to-end tests.
#
# Source it from a bash script running as root (`set -euo pipefail` friendly):
#
#   source "$(dirname "$0")/lib.sh"
#   topo_two_nats            # inet + natA/natB + peerA/peerB, NAT rules, trap-based cleanup
#   start_stun               # coturn STUN server on 203.0.113.1:3478 and 203.0.113.2:3478
#   start_wg A 10.99.0.1/24; start_wg B 10.99.0.2/24; wg_pair A B
#
# Everything a run makes carries a per-run prefix (sme<pid>-); `cleanup` (trap on EXIT INT TERM)
# kills every process in those namespaces plus every tracked host process, deletes the namespaces,
# prints the logs when the run failed, and removes the run directory when it passed.
# Only namespaces and veths created here are touched; no host interface or address changes.
#
# Topology (addresses from TEST-NET-3 on the "internet" side):
#
#   peerA 10.0.1.2 ─ lan 10.0.1.1 [natA] wan 203.0.113.10 ─┐
#                                                            br0 [inet] 203.0.113.1, 203.0.113.2 (STUN)
#   peerB 10.0.2.2 ─ lan 10.0.2.1 [natB] wan 203.0.113.20 ─┘

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
E2E_NS_RE='^sme([0-9]+)-(inet|natA|natB|natC|peer[A-Za-z0-9]+)$'

E2E_PREFIX=""          # namespace name prefix of this run, set by e2e_init
E2E_RUN=""             # run directory (logs, keys, configs, store), set by e2e_init
E2E_STORE=""           # shared file store directory (one file per key)
E2E_NAMESPACES=()      # namespaces this run created, in creation order
E2E_PIDS=()            # host-side processes this run started (not inside its namespaces)
E2E_T0=$(date +%s.%N)
E2E_CLEANED=0
declare -A E2E_HOLDER=()    # peer -> pid of the process holding its net+mount namespace
declare -A E2E_TUN_IP=()    # peer -> tunnel address without prefix length
declare -A E2E_TUN_ADDR=()  # peer -> tunnel address with prefix length, as given to start_wg
declare -A E2E_WAN=([A]=203.0.113.10 [B]=203.0.113.20 [C]=203.0.113.30)
declare -A E2E_LAN_GW=([A]=10.0.1.1 [B]=10.0.2.1 [C]=10.0.3.1)
declare -A E2E_LAN_IP=([A]=10.0.1.2 [B]=10.0.2.2 [C]=10.0.3.2)
declare -A E2E_NAT_TYPE=()  # side -> NAT type nat_setup last installed
declare -A E2E_NAT_XOR=([A]=0x4000 [B]=0x4000 [C]=0x4000)  # side -> eim/fullcone port translation constant
declare -A E2E_DAEMON_PID=()  # peer -> pid of its stunmeshd (start_stunmeshd)
declare -A E2E_NAT_PORT_FAULTS=() E2E_NAT_IP_FAULTS=()  # side -> faults of each kind so far
E2E_STUN1=203.0.113.1
E2E_STUN2=203.0.113.2
E2E_STUN_PORT=3478
E2E_WG_PORT=51820
E2E_PYTHON=/usr/bin/python3

# ---------------------------------------------------------------------------------------------
# Logging and small helpers

## e2e_log MSG… — timestamped progress line on stderr.
e2e_log() {
    printf '[e2e %6ss] %s\n' "$(e2e_elapsed)" "$*" >&2
}

## e2e_fail MSG… — print FAIL and exit 1 (the EXIT trap cleans up and dumps logs).
e2e_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

## e2e_elapsed — seconds since the library was sourced, one decimal.
e2e_elapsed() {
    local now
    now=$(date +%s.%N)
    awk -v a="$E2E_T0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

## wait_for SECONDS CMD… — run CMD every 0.2 s until it succeeds; return 1 after SECONDS.
wait_for() {
    local timeout=$1
    shift
    local deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if (( $(date +%s%N) >= deadline )); then
            return 1
        fi
        sleep 0.2
    done
}

## ns NAME — full namespace name of a topology node (inet natA natB peerA peerB) for this run.
ns() { echo "${E2E_PREFIX}$1"; }

## in_ns NAME CMD… — run CMD in a node's network namespace (fresh mount namespace per call).
in_ns() {
    local name=$1
    shift
    ip netns exec "$(ns "$name")" "$@"
}

## e2e_track_pid PID — have cleanup kill a host-side process this run started that is not a
## background job of the test's shell (those, and everything inside the namespaces, are killed anyway).
e2e_track_pid() { E2E_PIDS+=("$1"); }

# ---------------------------------------------------------------------------------------------
# Lifecycle

## e2e_require_root — exit with a clear message unless running as root with the needed tools.
e2e_require_root() {
    [[ $(id -u) -eq 0 ]] || e2e_fail "end-to-end tests need root (network namespaces, nftables)"
    local tool missing=()
    for tool in ip nft conntrack wireguard-go wg turnserver unshare nsenter ping timeout awk; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ -x $E2E_PYTHON ]] || missing+=("$E2E_PYTHON")
    ((${#missing[@]} == 0)) || e2e_fail "missing tools: ${missing[*]} (run scripts/install-deps)"
}

## e2e_init — create the run directory and prefix, reap dead runs, install the cleanup trap.
## Idempotent; topo_two_nats calls it.
e2e_init() {
    [[ -z $E2E_RUN ]] || return 0
    e2e_require_root
    e2e_reap_stale
    E2E_PREFIX="sme$$-"
    if ip netns list | grep -q "^${E2E_PREFIX}"; then
        e2e_fail "namespaces with prefix $E2E_PREFIX already exist"
    fi
    E2E_RUN=$(mktemp -d "${TMPDIR:-/tmp}/stunmesh-e2e.XXXXXX")
    E2E_STORE="$E2E_RUN/store"
    mkdir -p "$E2E_STORE"
    # Say which command failed when `set -e` ends a test (functions included).
    set -o errtrace
    trap 'e2e_on_err "$?" "${BASH_SOURCE[0]##*/}:$LINENO" "$BASH_COMMAND"' ERR
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    e2e_log "run directory $E2E_RUN, namespace prefix $E2E_PREFIX"
}

## e2e_on_err RC WHERE COMMAND — the ERR trap: name the failing command (only in the main shell).
e2e_on_err() {
    [[ $BASHPID == "$$" ]] || return 0
    echo "e2e: command failed (exit $1) at $2: $3" >&2
}

## e2e_kill_ns_procs NSNAME… — TERM, then KILL after 3 s, every process inside the namespaces.
e2e_kill_ns_procs() {
    local nsname pids=() i
    for nsname in "$@"; do
        # shellcheck disable=SC2207
        pids+=($(ip netns pids "$nsname" 2>/dev/null || true))
    done
    ((${#pids[@]} > 0)) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        local alive=()
        local p
        for p in "${pids[@]}"; do
            kill -0 "$p" 2>/dev/null && alive+=("$p")
        done
        ((${#alive[@]} > 0)) || return 0
        sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

## e2e_reap_stale — delete namespaces (and their processes) left by runs whose shell is gone,
## e.g. after SIGKILL. Only names matching sme<pid>-<node> with a dead <pid> are touched.
e2e_reap_stale() {
    local name owner
    while read -r name _; do
        [[ $name =~ $E2E_NS_RE ]] || continue
        owner=${BASH_REMATCH[1]}
        if [[ $owner != "$$" ]] && ! kill -0 "$owner" 2>/dev/null; then
            e2e_kill_ns_procs "$name"
            ip netns del "$name" 2>/dev/null || true
            echo "e2e: reaped stale namespace $name" >&2
        fi
    done < <(ip netns list 2>/dev/null)
}

## e2e_dump_logs — print the tail of every log in the run directory (used on failure).
e2e_dump_logs() {
    local f
    [[ -d $E2E_RUN ]] || return 0
    while IFS= read -r f; do
        echo "----- ${f#"$E2E_RUN"/} (last 60 lines) -----" >&2
        tail -n 60 "$f" >&2 || true
    done < <(find "$E2E_RUN" -name '*.log' -type f | sort)
}

## cleanup [RC] — kill everything this run started, delete its namespaces; keep the run directory
## (and print its logs) only when the run failed (RC, default the last exit status, non-zero) or
## E2E_KEEP=1. Installed as the EXIT trap; safe to call again.
cleanup() {
    local rc=$?
    (($# == 0)) || rc=$1
    set +e
    trap - EXIT INT TERM ERR
    ((E2E_CLEANED == 0)) || return "$rc"
    E2E_CLEANED=1
    if ((rc != 0)); then
        e2e_dump_logs
    fi
    # Host-side processes: the tracked ones and every background job of this shell.
    local p
    # shellcheck disable=SC2207
    E2E_PIDS+=($(jobs -p))
    for p in "${E2E_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    local full=()
    local n
    for n in "${E2E_NAMESPACES[@]}"; do
        full+=("$(ns "$n")")
    done
    ((${#full[@]} == 0)) || e2e_kill_ns_procs "${full[@]}"
    for p in "${E2E_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null   # only these: a bare `wait` would also wait for a test's own jobs
    done
    for n in "${full[@]}"; do
        ip netns del "$n" 2>/dev/null
    done
    if [[ -n $E2E_RUN && -d $E2E_RUN ]]; then
        if ((rc != 0)) || [[ ${E2E_KEEP:-0} == 1 ]]; then
            echo "e2e: run directory kept: $E2E_RUN" >&2
        else
            rm -rf "$E2E_RUN"
        fi
    fi
    return "$rc"
}

# ---------------------------------------------------------------------------------------------
# Topology

## e2e_add_ns NAME — create a node namespace with loopback up.
e2e_add_ns() {
    ip netns add "$(ns "$1")"
    E2E_NAMESPACES+=("$1")
    in_ns "$1" ip link set lo up
}

## e2e_veth NS1 IF1 NS2 IF2 — a veth pair between two node namespaces, both ends up.
e2e_veth() {
    ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
    ip -n "$(ns "$1")" link set "$2" up
    ip -n "$(ns "$3")" link set "$4" up
}

## topo_two_nats [NAT_A_TYPE [NAT_B_TYPE]] — build the two-NAT topology; NAT types as nat_setup
## (default eim). Sets E2E_* variables; calls e2e_init.
topo_two_nats() {
    local type_a=${1:-eim} type_b=${2:-eim}
    e2e_init
    e2e_add_ns inet
    in_ns inet ip link add br0 type bridge
    in_ns inet ip link set br0 up
    in_ns inet ip addr add "$E2E_STUN1/24" dev br0
    in_ns inet ip addr add "$E2E_STUN2/24" dev br0
    local side
    for side in A B; do
        topo_side_links "$side"
    done
    nat_setup A "$type_a"
    nat_setup B "$type_b"
    e2e_log "topology up: natA ${E2E_WAN[A]} ($type_a), natB ${E2E_WAN[B]} ($type_b)"
}

## topo_side_links SIDE — router nat<SIDE> on the inet bridge and peer<SIDE> behind it (no NAT rules).
topo_side_links() {
    local side=$1
    e2e_add_ns "nat$side"
    e2e_add_ns "peer$side"
    e2e_veth "nat$side" wan inet "nat$side"
    in_ns inet ip link set "nat$side" master br0
    in_ns "nat$side" ip addr add "${E2E_WAN[$side]}/24" dev wan
    e2e_veth "nat$side" lan "peer$side" eth0
    in_ns "nat$side" ip addr add "${E2E_LAN_GW[$side]}/24" dev lan
    in_ns "nat$side" sysctl -qw net.ipv4.ip_forward=1
    in_ns "peer$side" ip addr add "${E2E_LAN_IP[$side]}/24" dev eth0
    in_ns "peer$side" ip route add default via "${E2E_LAN_GW[$side]}"
    e2e_holder "$side"
}

## topo_add_side_c [NAT_TYPE] — after topo_two_nats: a third site, peerC (10.0.3.2) behind natC
## (203.0.113.30), NAT type as nat_setup (default eim).
topo_add_side_c() {
    topo_side_links C
    nat_setup C "${1:-eim}"
    e2e_log "third site up: natC ${E2E_WAN[C]} (${1:-eim})"
}

## nat_rules SIDE TYPE — print the nftables ruleset for router nat<SIDE> (A or B).
## TYPE: eim       endpoint-independent mapping, translated port (sport ^ E2E_NAT_XOR[SIDE], default
##                 0x4000), filtering address+port dependent (only replies pass) — the default, like a CPE
##       pp        port-preserving snat, same filtering
##       symmetric address+port dependent mapping: random port per destination
##       fullcone  eim plus inbound dnat of the mirrored port: anyone may send to the mapping
nat_rules() {
    local side=$1 type=$2
    local wan=${E2E_WAN[$side]} lan_ip=${E2E_LAN_IP[$side]} xor=${E2E_NAT_XOR[$side]:-0x4000}
    local udp_rule prerouting="" forward_extra=""
    case $type in
        eim | fullcone) udp_rule="snat ip to $wan : udp sport ^ $xor" ;;
        pp) udp_rule="snat ip to $wan" ;;
        symmetric) udp_rule="snat ip to $wan : 20000-60999 random" ;;
        *) e2e_fail "nat_rules: unknown NAT type '$type' (eim|pp|symmetric|fullcone)" ;;
    esac
    if [[ $type == fullcone ]]; then
        prerouting="iifname \"wan\" udp dport 1024-65535 dnat ip to $lan_ip : udp dport ^ $xor"
        forward_extra="iifname \"wan\" oifname \"lan\" ct status dnat accept"
    fi
    cat <<EOF
table ip e2e_nat {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        $prerouting
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" meta l4proto udp $udp_rule
        oifname "wan" snat ip to $wan
    }
}
table ip e2e_filter {
    # Unsolicited inbound to the router itself is dropped before conntrack confirms it: an
    # unreplied entry 'remote -> WAN:port' would otherwise clash with the reply tuple of a later
    # outbound mapping to that same remote, and the fixed-port snat would drop it for good.
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state established,related accept
        iifname "wan" icmp type echo-request accept
        iifname "wan" drop
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
        $forward_extra
    }
}
EOF
}

## nat_setup SIDE TYPE — (re)install router nat<SIDE>'s rules (in one atomic nft transaction, so
## no packet passes un-NATed in between) and flush its conntrack table so the new behaviour
## applies to every flow. SIDE: A or B (natA/natB accepted).
nat_setup() {
    local side=${1#nat} type=${2:-eim}
    [[ $side == A || $side == B || $side == C ]] || e2e_fail "nat_setup: side must be A, B or C, got '$1'"
    local rules
    rules=$(nat_rules "$side" "$type") || exit 1
    in_ns "nat$side" nft -f - <<<"flush ruleset
$rules"
    in_ns "nat$side" conntrack -F >/dev/null 2>&1 || true
    E2E_NAT_TYPE[$side]=$type
}

## nat_public_port PORT [SIDE] — the outside port the eim/fullcone rule of nat<SIDE> (default: the
## default constant 0x4000) gives inside port PORT.
nat_public_port() {
    local xor=0x4000
    [[ -z ${2:-} ]] || xor=${E2E_NAT_XOR[${2#nat}]:-0x4000}
    echo $(($1 ^ xor))
}

# ---------------------------------------------------------------------------------------------
# STUN server

## stun_probe NODE BIND_PORT SERVER… — from NODE, one UDP socket bound to BIND_PORT asks every
## SERVER (ip:port); prints "SERVER MAPPED" lines; fails if any server is silent.
stun_probe() {
    local node=$1 port=$2
    shift 2
    if [[ $node == A || $node == B ]]; then
        inpeer "$node" "$E2E_PYTHON" -I "$E2E_DIR/stun_probe.py" --bind "0.0.0.0:$port" "$@"
    else
        in_ns "$node" "$E2E_PYTHON" -I "$E2E_DIR/stun_probe.py" --bind "0.0.0.0:$port" "$@"
    fi
}

## start_stun — coturn as a STUN-only server on 203.0.113.1 and .2 port 3478 (RFC 5780 alternate
## port 3479) in inet, no config file, foreground, log in the run directory; waits until it answers.
start_stun() {
    local dir="$E2E_RUN/turnserver"
    mkdir -p "$dir"
    ip netns exec "$(ns inet)" turnserver -n --stun-only --no-cli --no-tcp --no-tls --no-dtls \
        -L "$E2E_STUN1" -L "$E2E_STUN2" -p "$E2E_STUN_PORT" \
        --log-file "$dir/turnserver.log" --simple-log --log-binding \
        --pidfile "$dir/turnserver.pid" -b "$dir/turndb" \
        >"$dir/stdout.log" 2>&1 &
    if ! wait_for 15 stun_probe inet 0 "$E2E_STUN1:$E2E_STUN_PORT" "$E2E_STUN2:$E2E_STUN_PORT"; then
        e2e_fail "coturn did not answer STUN on $E2E_STUN1/$E2E_STUN2:$E2E_STUN_PORT"
    fi
    e2e_log "STUN server up on $E2E_STUN1:$E2E_STUN_PORT and $E2E_STUN2:$E2E_STUN_PORT"
}

# ---------------------------------------------------------------------------------------------
# Peers: a private mount namespace per peer so /run/wireguard is per peer

## e2e_peer_dir PEER — the peer's directory in the run directory.
e2e_peer_dir() { echo "$E2E_RUN/peer$1"; }

## e2e_holder PEER — start the long-lived process that holds peer<PEER>'s network namespace and a
## private mount namespace whose /run/wireguard is the bind-mounted <run>/peer<PEER>/run-wireguard.
## Must run in the main shell (not in $(…) or a pipeline): it records the pid in E2E_HOLDER.
e2e_holder() {
    local peer=$1
    [[ -z ${E2E_HOLDER[$peer]:-} ]] || return 0
    local dir
    dir=$(e2e_peer_dir "$peer")
    mkdir -p "$dir/run-wireguard" /run/wireguard
    rm -f "$dir/holder.ready"
    # A simple command (not a function) so that $! is the holder itself: ip netns exec, unshare
    # and sh each exec the next.
    ip netns exec "$(ns "peer$peer")" unshare -m --propagation private \
        sh -c 'mount --bind "$1" /run/wireguard && touch "$2" && exec sleep infinity' \
        holder "$dir/run-wireguard" "$dir/holder.ready" </dev/null >/dev/null 2>&1 &
    local pid=$!
    wait_for 10 test -e "$dir/holder.ready" || e2e_fail "namespace holder for peer$peer did not start"
    # Never run a peer command anywhere but in the peer's namespace.
    [[ $(ip netns identify "$pid") == "$(ns "peer$peer")" ]] ||
        e2e_fail "holder $pid is not in namespace $(ns "peer$peer")"
    E2E_HOLDER[$peer]=$pid
}

## e2e_holder_pid PEER — pid of peer<PEER>'s holder; fails loudly if topo_two_nats did not make it.
e2e_holder_pid() {
    local pid=${E2E_HOLDER[$1]:-}
    if [[ -z $pid ]]; then
        echo "e2e: no namespace holder for peer$1 (call topo_two_nats first)" >&2
        return 1
    fi
    echo "$pid"
}

## inpeer PEER CMD… — run CMD inside peer<PEER> (network + private mount namespace), in the
## caller's working directory.
inpeer() {
    local peer=$1
    shift
    local holder
    holder=$(e2e_holder_pid "$peer") || return 1
    nsenter -t "$holder" -m -n -- env -C "$PWD" "$@"
}

## inpeer_bg PEER NAME CMD… — start CMD in the background inside peer<PEER>, output in
## <run>/peer<PEER>/NAME.log; prints nothing, sets E2E_LAST_PID.
inpeer_bg() {
    local peer=$1 name=$2
    shift 2
    local holder
    holder=$(e2e_holder_pid "$peer") || return 1
    nsenter -t "$holder" -m -n -- env -C "$PWD" "$@" \
        >"$(e2e_peer_dir "$peer")/$name.log" 2>&1 &
    E2E_LAST_PID=$!
}

## start_wg PEER ADDR/LEN — wireguard-go (foreground, verbose log) in peer<PEER>: device wg0,
## listen port 51820, a fresh key pair (<run>/peer<PEER>/private.key, public.key), ADDR on wg0.
start_wg() {
    local peer=$1 addr=$2
    local dir
    dir=$(e2e_peer_dir "$peer")
    (umask 077 && wg genkey >"$dir/private.key")
    wg pubkey <"$dir/private.key" >"$dir/public.key"
    LOG_LEVEL=verbose inpeer_bg "$peer" wireguard-go wireguard-go -f wg0
    wait_for 10 test -S "$dir/run-wireguard/wg0.sock" ||
        e2e_fail "wireguard-go in peer$peer did not create its UAPI socket"
    inpeer "$peer" wg set wg0 listen-port "$E2E_WG_PORT" private-key "$dir/private.key"
    inpeer "$peer" ip addr add "$addr" dev wg0
    inpeer "$peer" ip link set wg0 up
    E2E_TUN_IP[$peer]=${addr%/*}
    E2E_TUN_ADDR[$peer]=$addr
    e2e_log "wireguard-go up in peer$peer: wg0 $addr, port $E2E_WG_PORT, key $(wg_pubkey "$peer")"
}

## wg_pubkey PEER — the peer's WireGuard public key (base64).
wg_pubkey() { cat "$(e2e_peer_dir "$1")/public.key"; }

## wg_pair A B — each peer gets the other's public key and tunnel /32 as allowed-ips, no endpoint.
wg_pair() {
    local a=$1 b=$2
    inpeer "$a" wg set wg0 peer "$(wg_pubkey "$b")" allowed-ips "${E2E_TUN_IP[$b]}/32"
    inpeer "$b" wg set wg0 peer "$(wg_pubkey "$a")" allowed-ips "${E2E_TUN_IP[$a]}/32"
}

## wg_set_endpoint PEER OTHER ENDPOINT [KEEPALIVE] — manual endpoint (the step stunmeshd automates).
wg_set_endpoint() {
    inpeer "$1" wg set wg0 peer "$(wg_pubkey "$2")" endpoint "$3" persistent-keepalive "${4:-off}"
}

## wg_handshake_age PEER [OTHER] — seconds since peer's latest handshake (with OTHER, default any);
## fails (prints nothing) when there has been none.
wg_handshake_age() {
    local peer=$1 other=${2:-} key ts best=0
    while read -r key ts; do
        [[ -z $other || $key == "$(wg_pubkey "$other")" ]] || continue
        ((ts > best)) && best=$ts
    done < <(inpeer "$peer" wg show wg0 latest-handshakes)
    ((best > 0)) || return 1
    echo $(($(date +%s) - best))
}

## wg_endpoint PEER OTHER — the endpoint peer's WireGuard currently has for OTHER ("(none)" if unset).
wg_endpoint() {
    inpeer "$1" wg show wg0 endpoints | awk -v k="$(wg_pubkey "$2")" '$1 == k { print $2 }'
}

## tunnel_ping A B [COUNT] — ping B's tunnel address from A (1 s reply timeout per probe).
tunnel_ping() {
    inpeer "$1" ping -n -c "${3:-1}" -W 1 "${E2E_TUN_IP[$2]}"
}

# ---------------------------------------------------------------------------------------------
# stunmeshd

## is_stunmeshd PID [BINARY] — whether PID runs BINARY, by default the daemon under test
## ($E2E_STUNMESHD, else find_stunmeshd).
is_stunmeshd() {
    local bin=${2:-${E2E_STUNMESHD:-}}
    [[ -n $bin ]] || bin=$(find_stunmeshd) || return 1
    [[ $(readlink -f "/proc/$1/exe" 2>/dev/null) == "$(readlink -f "$bin")" ]]
}

## find_stunmeshd — absolute path of the daemon: $STUNMESHD if set (nothing else then), else
## .build-static/release/stunmeshd (the static release build), .build/release/stunmeshd, .build/debug/stunmeshd.
## Fails with a clear message when there is none.
find_stunmeshd() {
    local c candidates=("$E2E_ROOT/.build-static/release/stunmeshd" "$E2E_ROOT/.build/release/stunmeshd"
        "$E2E_ROOT/.build/debug/stunmeshd")
    [[ -z ${STUNMESHD:-} ]] || candidates=("$STUNMESHD")
    for c in "${candidates[@]}"; do
        if [[ -x $c && -f $c ]]; then
            (cd "$(dirname "$c")" && echo "$(pwd)/$(basename "$c")")
            return 0
        fi
    done
    echo "FAIL: no stunmeshd binary at: ${candidates[*]}; build it ('swift build') or set STUNMESHD" >&2
    return 1
}

## keepalive_field — ", keepalive: N" for a peer's flow mapping (E2E_KEEPALIVE, default 5), or
## nothing with E2E_KEEPALIVE=none (the daemon then learns it from the NATs).
keepalive_field() { [[ ${E2E_KEEPALIVE:-5} == none ]] || echo ", keepalive: ${E2E_KEEPALIVE:-5}"; }

## write_stunmesh_config PEER OTHER — stunmesh-go style config (<run>/peer<PEER>/config.yaml) for
## peer<PEER> managing OTHER (named peer_a/peer_b) through the shared file store; prints its path.
## E2E_REFRESH (default 10m), E2E_KEEPALIVE (default 5; none: no key), E2E_MONITOR_MODE
## (events|interval), E2E_MAPPING_CHECK and E2E_POLL_INTERVAL (durations; all unset: no `monitor`
## key, the daemon's defaults) tune it; E2E_FULL_TUNNEL=PEER gives that peer `ping.target` (the other's tunnel address), which
## a full tunnel needs (its allowed-ips 0.0.0.0/0 offer no address to probe).
write_stunmesh_config() {
    local peer=$1 other=$2
    local file
    file="$(e2e_peer_dir "$peer")/config.yaml"
    local other_name
    other_name="peer_$(echo "$other" | tr '[:upper:]' '[:lower:]')"
    local monitor="" fields=() ping=""
    [[ ${E2E_FULL_TUNNEL:-} != "$peer" ]] || ping=", ping: { enabled: true, target: \"${E2E_TUN_IP[$other]}\" }"
    [[ -z ${E2E_MONITOR_MODE:-} ]] || fields+=("mode: $E2E_MONITOR_MODE")
    [[ -z ${E2E_MAPPING_CHECK:-} ]] || fields+=("mapping_check_interval: $E2E_MAPPING_CHECK")
    [[ -z ${E2E_POLL_INTERVAL:-} ]] || fields+=("poll_interval: $E2E_POLL_INTERVAL")
    if ((${#fields[@]} > 0)); then
        monitor="monitor: { $(IFS=,; echo "${fields[*]}" | sed 's/,/, /g') }"
    fi
    cat >"$file" <<EOF
refresh_interval: "${E2E_REFRESH:-10m}"
log: { level: debug }
$monitor
stun: { addresses: ["$E2E_STUN1:$E2E_STUN_PORT"] }
status_file: "$(e2e_peer_dir "$peer")/status.json"
state_file: "$(e2e_peer_dir "$peer")/replay.json"
interfaces:
  wg0:
    protocol: ipv4
    peers:
      $other_name: { public_key: "$(wg_pubkey "$other")", plugin: store$(keepalive_field)$ping }
plugins:
  store: { type: builtin, name: file, directory: "$E2E_STORE" }
EOF
    echo "$file"
}

## full_tunnel PEER OTHER [MARK] — make peer<PEER> a wg-quick style full tunnel through OTHER: fwmark MARK
## (default 51820) on wg0, allowed-ips 0.0.0.0/0 for OTHER, a default route into wg0 in table MARK,
## `ip rule not fwmark MARK table MARK` and `table main suppress_prefixlength 0`. Unmarked traffic to
## anything but the peer's own LAN then goes into the tunnel.
full_tunnel() {
    local peer=$1 other=$2 mark=${3:-51820}
    inpeer "$peer" wg set wg0 fwmark "$mark" peer "$(wg_pubkey "$other")" allowed-ips 0.0.0.0/0
    inpeer "$peer" ip route add default dev wg0 table "$mark"
    inpeer "$peer" ip rule add not fwmark "$mark" table "$mark" priority 32000
    inpeer "$peer" ip rule add table main suppress_prefixlength 0 priority 31999
}

## write_stunmesh_config_peers PEER FILE OTHER… — like write_stunmesh_config, into FILE (a path),
## with one entry per OTHER (named peer_<other>), status_file <run>/peer<PEER>/status.json, and
## $E2E_CONFIG_EXTRA (YAML lines) appended last, right after the plugins entry (indent to extend plugins:, or
## start at column 0 for a top-level key). Prints FILE.
write_stunmesh_config_peers() {
    local peer=$1 file=$2 other name
    shift 2
    {
        echo "refresh_interval: \"${E2E_REFRESH:-10m}\""
        echo "log: { level: debug }"
        echo "stun: { addresses: [\"$E2E_STUN1:$E2E_STUN_PORT\"] }"
        echo "status_file: \"$(e2e_peer_dir "$peer")/status.json\""
        echo "state_file: \"$(e2e_peer_dir "$peer")/replay.json\""
        echo "interfaces:"
        echo "  wg0:"
        echo "    protocol: ipv4"
        echo "    peers:"
        for other in "$@"; do
            name="peer_$(echo "$other" | tr '[:upper:]' '[:lower:]')"
            echo "      $name: { public_key: \"$(wg_pubkey "$other")\", plugin: store$(keepalive_field) }"
        done
        echo "plugins:"
        echo "  store: { type: builtin, name: file, directory: \"$E2E_STORE\" }"
        [[ -z ${E2E_CONFIG_EXTRA:-} ]] || echo "$E2E_CONFIG_EXTRA"
    } >"$file"
    echo "$file"
}

## restart_wg PEER — stop peer<PEER>'s wireguard-go and start a new one with the same private key,
## listen port, tunnel address and peers (public keys and allowed IPs; no endpoints): the interface
## is re-created under a running stunmeshd.
restart_wg() {
    local peer=$1 dir peers_dump pid
    dir=$(e2e_peer_dir "$peer")
    peers_dump=$(inpeer "$peer" wg show wg0 allowed-ips)
    # The wireguard-go of this peer: the process in its namespace running wireguard-go.
    for pid in $(ip netns pids "$(ns "peer$peer")"); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == wireguard-go ]] && kill -TERM "$pid"
    done
    wait_for 10 bash -c "! test -S '$dir/run-wireguard/wg0.sock'" || e2e_fail "wireguard-go in peer$peer did not stop"
    LOG_LEVEL=verbose inpeer_bg "$peer" "wireguard-go-restart-$SECONDS" wireguard-go -f wg0
    wait_for 10 test -S "$dir/run-wireguard/wg0.sock" || e2e_fail "wireguard-go in peer$peer did not restart"
    inpeer "$peer" wg set wg0 listen-port "$E2E_WG_PORT" private-key "$dir/private.key"
    inpeer "$peer" ip addr add "${E2E_TUN_ADDR[$peer]}" dev wg0
    inpeer "$peer" ip link set wg0 up
    local key ips
    while read -r key ips; do
        inpeer "$peer" wg set wg0 peer "$key" allowed-ips "${ips// /,}"
    done <<<"$peers_dump"
    e2e_log "wireguard-go restarted in peer$peer with the same key"
}

## start_stunmeshd PEER CONFIG [BINARY] — run the daemon in peer<PEER>, log in
## <run>/peer<PEER>/stunmeshd.log; sets E2E_LAST_PID and E2E_DAEMON_PID[PEER].
start_stunmeshd() {
    local peer=$1 config=$2 bin=${3:-${E2E_STUNMESHD:-}}
    [[ -n $bin ]] || bin=$(find_stunmeshd) || exit 1
    inpeer_bg "$peer" stunmeshd "$bin" -c "$config"
    E2E_DAEMON_PID[$peer]=$E2E_LAST_PID
}

## wg_new_key PEER — give peer<PEER>'s wg0 a fresh key pair (before wg_pair), e.g. to choose roles.
wg_new_key() {
    local dir
    dir=$(e2e_peer_dir "$1")
    (umask 077 && wg genkey >"$dir/private.key")
    wg pubkey <"$dir/private.key" >"$dir/public.key"
    inpeer "$1" wg set wg0 private-key "$dir/private.key"
}

## wg_key_hex PEER — the peer's public key as lowercase hex (sorts like the key's bytes).
wg_key_hex() { base64 -d <"$(e2e_peer_dir "$1")/public.key" | od -An -v -tx1 | tr -d ' \n'; }

## wg_initiator P Q — which of the two peers starts handshakes under stunmeshd's rule (the smaller
## public key, byte-wise, initiates; the other only punches): prints P or Q.
wg_initiator() {
    local p q
    p=$(wg_key_hex "$1")
    q=$(wg_key_hex "$2")
    if [[ $p < $q ]]; then echo "$1"; else echo "$2"; fi
}

## wg_make_initiator P Q — new keys, for Q and P in turn, until P is the initiator of the pair
## (before wg_pair). Renewing only Q could fail: a P key near the top of the order leaves Q few
## keys above it (P = 0xff… : 1 in 256 per try).
wg_make_initiator() {
    local i
    for ((i = 0; i < 64; i++)); do
        [[ $(wg_initiator "$1" "$2") == "$1" ]] && return 0
        if ((i % 2 == 0)); then wg_new_key "$2"; else wg_new_key "$1"; fi
    done
    e2e_fail "wg_make_initiator: no key order after 64 tries"
}

# ---------------------------------------------------------------------------------------------
# The daemon pair scene (fault tests, benchmarks)

## tunnel_up P Q — P and Q both have a handshake with each other and P pings Q through the tunnel.
## The handshakes are checked first, so no ping enters the tunnel before there is one.
tunnel_up() {
    wg_handshake_age "$1" "$2" >/dev/null && wg_handshake_age "$2" "$1" >/dev/null && tunnel_ping "$1" "$2" >/dev/null
}

## daemons_alive — e2e_fail naming the first daemon (from start_stunmeshd) that is no longer running.
daemons_alive() {
    local peer
    for peer in "${!E2E_DAEMON_PID[@]}"; do
        kill -0 "${E2E_DAEMON_PID[$peer]}" 2>/dev/null || e2e_fail "stunmeshd in peer$peer exited"
    done
}

## daemon_log PEER — path of peer<PEER>'s stunmeshd log.
daemon_log() { echo "$(e2e_peer_dir "$1")/stunmeshd.log"; }

## daemon_pair_up [BOUND] — the fault tests' scene: two-NAT topology (eim, eim; E2E_NAT_UDP_TIMEOUT
## sets both NATs' conntrack UDP timers, unreplied and stream, to that many seconds), STUN, wireguard-go
## in A (10.99.0.1) and B (10.99.0.2) paired with no endpoint, stunmeshd in both (configs from
## write_stunmesh_config, so the E2E_* knobs apply; E2E_INITIATOR=A|B picks the initiator, default
## whatever the fresh keys say); waits up to BOUND (default 60) s until tunnel_up A B and B A, then
## E2E_SETTLE (default 3) s more, so that each daemon's own once-a-second ping has been answered (an
## automatic ping target counts failures only after its first answer).
daemon_pair_up() {
    local bound=${1:-60}
    topo_two_nats eim eim
    if [[ -n ${E2E_NAT_UDP_TIMEOUT:-} ]]; then
        # Both of conntrack's UDP timers (unreplied and "stream"), in both NATs: an idle mapping
        # lives this long whatever the flow has seen.
        for side in A B; do
            in_ns "nat$side" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$E2E_NAT_UDP_TIMEOUT" \
                net.netfilter.nf_conntrack_udp_timeout_stream="$E2E_NAT_UDP_TIMEOUT"
        done
    fi
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    case ${E2E_INITIATOR:-} in
        A) wg_make_initiator A B ;;
        B) wg_make_initiator B A ;;
        "") ;;
        *) e2e_fail "E2E_INITIATOR must be A or B, got '$E2E_INITIATOR'" ;;
    esac
    wg_pair A B
    case ${E2E_FULL_TUNNEL:-} in
        A) full_tunnel A B ;;
        B) full_tunnel B A ;;
        "") ;;
        *) e2e_fail "E2E_FULL_TUNNEL must be A or B, got '$E2E_FULL_TUNNEL'" ;;
    esac
    local conf_a conf_b
    conf_a=$(write_stunmesh_config A B)
    conf_b=$(write_stunmesh_config B A)
    start_stunmeshd A "$conf_a"
    start_stunmeshd B "$conf_b"
    e2e_log "stunmeshd started in peerA (pid ${E2E_DAEMON_PID[A]}) and peerB (pid ${E2E_DAEMON_PID[B]})," \
        "monitor ${E2E_MONITOR_MODE:-default}, refresh ${E2E_REFRESH:-10m}, initiator peer$(wg_initiator A B)"
    local deadline=$((SECONDS + bound))
    until tunnel_up A B && tunnel_up B A; do
        daemons_alive
        ((SECONDS < deadline)) || e2e_fail "tunnel not up within $bound s" \
            "(A endpoint for B: $(wg_endpoint A B), B endpoint for A: $(wg_endpoint B A))"
        sleep 0.2
    done
    e2e_log "tunnel up: A->B $(wg_endpoint A B), B->A $(wg_endpoint B A)"
    sleep "${E2E_SETTLE:-3}"
    daemons_alive
}

# ---------------------------------------------------------------------------------------------
# Faults: each changes the network under a running tunnel, then returns at once. Call them from
# the main shell (they update E2E_* state). `now_ts` right after one is the fault's timestamp.

## now_ts — wall-clock seconds with nanoseconds (the clock ping -D stamps replies with).
now_ts() { date +%s.%N; }

## seconds_since T0 — seconds from T0 (a now_ts value) to now, two decimals.
seconds_since() { awk -v a="$1" -v b="$(now_ts)" 'BEGIN { printf "%.2f", b - a }'; }

## fault_nat_port SIDE [XOR] — nat<SIDE> gives every flow a new public port: its eim translation
## constant becomes XOR, conntrack flushed — as when a NAT reboots or a CGNAT re-maps. By default
## a constant this run has not used yet (0x1101, 0x1202, … below 0x4000, so WireGuard's port
## 51820 maps into 49152–65535): a mapping used before may still be open in the other NAT's
## conntrack (UDP stream timeout 120 s), and then the "fault" would break nothing.
fault_nat_port() {
    local side=${1#nat} xor=${2:-}
    if [[ -z $xor ]]; then
        E2E_NAT_PORT_FAULTS[$side]=$((${E2E_NAT_PORT_FAULTS[$side]:-0} + 1))
        xor=$(printf '0x%04x' $(((0x1000 + E2E_NAT_PORT_FAULTS[$side] * 0x0101) % 0x4000)))
    fi
    E2E_NAT_XOR[$side]=$xor
    nat_setup "$side" "${E2E_NAT_TYPE[$side]:-eim}"
}

## fault_nat_ip SIDE [ADDR] — nat<SIDE>'s WAN address becomes ADDR: the old address is removed,
## the new one added, SNAT uses it, conntrack flushed — as when an ISP hands out a new address.
## By default an address this run has not used yet: 203.0.113.11–19, then .30–.64 for A;
## .21–29, then .65–.99 for B (fresh for the same reason as fault_nat_port's constants).
fault_nat_ip() {
    local side=${1#nat} addr=${2:-}
    local old=${E2E_WAN[$side]}
    if [[ -z $addr ]]; then
        local pool k
        if [[ $side == A ]]; then pool=({11..19} {30..64}); else pool=({21..29} {65..99}); fi
        k=${E2E_NAT_IP_FAULTS[$side]:-0}
        ((k < ${#pool[@]})) || e2e_fail "fault_nat_ip: no unused address left for nat$side"
        E2E_NAT_IP_FAULTS[$side]=$((k + 1))
        addr="${old%.*}.${pool[k]}"
    fi
    in_ns "nat$side" ip addr del "$old/24" dev wan
    in_ns "nat$side" ip addr add "$addr/24" dev wan
    E2E_WAN[$side]=$addr
    nat_setup "$side" "${E2E_NAT_TYPE[$side]:-eim}"
}

## fault_conntrack_flush SIDE — nat<SIDE> forgets every mapping (conntrack -F); rules unchanged.
fault_conntrack_flush() {
    in_ns "nat${1#nat}" conntrack -F >/dev/null 2>&1
}

## fault_uplink SIDE down|up — peer<SIDE>'s uplink loses (regains) carrier: the far end of its
## eth0 (nat<SIDE>'s lan) goes down (up). eth0 itself stays configured — address and default route
## kept, NO-CARRIER — as when a cable is pulled or Wi-Fi drops; the NAT's mappings survive.
fault_uplink() {
    local side=${1#nat} how=$2
    [[ $how == up || $how == down ]] || e2e_fail "fault_uplink: down or up, got '$how'"
    in_ns "nat$side" ip link set lan "$how"
}

# ---------------------------------------------------------------------------------------------
# Measuring

## restore_time FROM TO T0 BOUND — ping TO's tunnel address from FROM 20 times a second until the
## first reply; prints the seconds from T0 (now_ts of the fault) to that reply's arrival (ping -D's
## receive time stamp), two decimals. Fails, printing nothing, when no reply came within BOUND
## seconds from now. The daemons' own pings go on at their pace meanwhile.
restore_time() {
    local from=$1 to=$2 t0=$3 bound=$4
    local deadline=$(($(date +%s) + bound)) left out stamp
    while left=$((deadline - $(date +%s))); ((left > 0)); do
        # -c 1 with -w: keep sending every 50 ms until one reply or the deadline.
        if out=$(inpeer "$from" ping -n -D -c 1 -i 0.05 -w "$left" "${E2E_TUN_IP[$to]}" 2>/dev/null); then
            stamp=$(sed -n 's/^\[\([0-9.]*\)\] [0-9]* bytes from .*/\1/p' <<<"$out" | head -n 1)
            if [[ -n $stamp ]]; then
                awk -v a="$t0" -v b="$stamp" 'BEGIN { printf "%.2f\n", b - a }'
                return 0
            fi
        fi
        sleep 0.05
    done
    return 1
}

# ---------------------------------------------------------------------------------------------
# IPv6 (documentation prefix 2001:db8::/32 only): routed, no NAT, and on each router the stateful
# firewall a CPE has: replies and related traffic in, unsolicited inbound dropped.
#
#   peerA 2001:db8:a::2 ─ lan 2001:db8:a::1 [natA] wan 2001:db8:ffff::10 ─┐
#                                                                          br0 [inet] 2001:db8:ffff::1, ::2 (STUN)
#   peerB 2001:db8:b::2 ─ lan 2001:db8:b::1 [natB] wan 2001:db8:ffff::20 ─┘

E2E_STUN6_1=2001:db8:ffff::1
E2E_STUN6_2=2001:db8:ffff::2
declare -A E2E_WAN6=([A]=2001:db8:ffff::10 [B]=2001:db8:ffff::20)
declare -A E2E_LAN6_NET=([A]=2001:db8:a::/64 [B]=2001:db8:b::/64)
declare -A E2E_LAN6_GW=([A]=2001:db8:a::1 [B]=2001:db8:b::1)
declare -A E2E_LAN6_IP=([A]=2001:db8:a::2 [B]=2001:db8:b::2)

## topo_add_ipv6 — add IPv6 to the topology topo_two_nats built (call it after): the addresses above
## (no DAD, usable at once), routes between the two LANs over br0, forwarding on the routers, and
## each router's IPv6 firewall (fw6_setup). The IPv4 NAT stays as it is: a dual-stack network.
topo_add_ipv6() {
    local side other
    in_ns inet ip -6 addr add "$E2E_STUN6_1/64" dev br0 nodad
    in_ns inet ip -6 addr add "$E2E_STUN6_2/64" dev br0 nodad
    for side in A B; do
        [[ $side == A ]] && other=B || other=A
        in_ns "nat$side" sysctl -qw net.ipv6.conf.all.forwarding=1
        in_ns "nat$side" ip -6 addr add "${E2E_WAN6[$side]}/64" dev wan nodad
        in_ns "nat$side" ip -6 addr add "${E2E_LAN6_GW[$side]}/64" dev lan nodad
        in_ns "nat$side" ip -6 route add "${E2E_LAN6_NET[$other]}" via "${E2E_WAN6[$other]}"
        in_ns inet ip -6 route add "${E2E_LAN6_NET[$side]}" via "${E2E_WAN6[$side]}"
        in_ns "peer$side" ip -6 addr add "${E2E_LAN6_IP[$side]}/64" dev eth0 nodad
        in_ns "peer$side" ip -6 route add default via "${E2E_LAN6_GW[$side]}"
        fw6_setup "$side"
    done
    e2e_log "IPv6 up: peerA ${E2E_LAN6_IP[A]}, peerB ${E2E_LAN6_IP[B]} behind stateful firewalls, STUN $E2E_STUN6_1 $E2E_STUN6_2"
}

## topo_two_firewalls_v6 — IPv6 only in use: topo_two_nats + topo_add_ipv6, then the peers lose
## their IPv4 default route, so nothing of theirs can leave over IPv4.
topo_two_firewalls_v6() {
    topo_two_nats eim eim
    topo_add_ipv6
    local side
    for side in A B; do
        in_ns "peer$side" ip -4 route del default
    done
    e2e_log "IPv4 default routes removed from the peers: IPv6 only"
}

## fw6_rules — print the IPv6 firewall ruleset of a router (the same on both sides).
fw6_rules() {
    cat <<EOF6
table ip6 e2e_fw6 {
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state established,related accept
        iifname "wan" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, echo-request, packet-too-big } accept
        iifname "wan" drop
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
    }
}
EOF6
}

## fw6_setup SIDE — (re)install router nat<SIDE>'s IPv6 firewall. nat_setup flushes the whole
## ruleset: call this again after it.
fw6_setup() {
    local side=${1#nat}
    in_ns "nat$side" nft -f - <<<"$(fw6_rules)"
}

## stun_probe6 NODE BIND_PORT SERVER… — stun_probe over IPv6 (servers as [v6]:port).
stun_probe6() {
    local node=$1 port=$2
    shift 2
    if [[ $node == A || $node == B ]]; then
        inpeer "$node" "$E2E_PYTHON" -I "$E2E_DIR/stun_probe.py" --bind "[::]:$port" "$@"
    else
        in_ns "$node" "$E2E_PYTHON" -I "$E2E_DIR/stun_probe.py" --bind "[::]:$port" "$@"
    fi
}

## start_stun_dualstack — like start_stun, with coturn also listening on 2001:db8:ffff::1 and ::2;
## waits until all four addresses answer.
start_stun_dualstack() {
    local dir="$E2E_RUN/turnserver"
    mkdir -p "$dir"
    ip netns exec "$(ns inet)" turnserver -n --stun-only --no-cli --no-tcp --no-tls --no-dtls \
        -L "$E2E_STUN1" -L "$E2E_STUN2" -L "$E2E_STUN6_1" -L "$E2E_STUN6_2" -p "$E2E_STUN_PORT" \
        --log-file "$dir/turnserver.log" --simple-log --log-binding \
        --pidfile "$dir/turnserver.pid" -b "$dir/turndb" \
        >"$dir/stdout.log" 2>&1 &
    if ! wait_for 15 stun_probe inet 0 "$E2E_STUN1:$E2E_STUN_PORT" "$E2E_STUN2:$E2E_STUN_PORT"; then
        e2e_fail "coturn did not answer STUN on $E2E_STUN1/$E2E_STUN2:$E2E_STUN_PORT"
    fi
    if ! wait_for 15 stun_probe6 inet 0 "[$E2E_STUN6_1]:$E2E_STUN_PORT" "[$E2E_STUN6_2]:$E2E_STUN_PORT"; then
        e2e_fail "coturn did not answer STUN on [$E2E_STUN6_1]/[$E2E_STUN6_2]:$E2E_STUN_PORT"
    fi
    e2e_log "STUN server up on $E2E_STUN1, $E2E_STUN2, [$E2E_STUN6_1], [$E2E_STUN6_2] port $E2E_STUN_PORT"
}

## write_stunmesh_config_family PEER OTHER IF_PROTOCOL PEER_PROTOCOL — write_stunmesh_config with the
## interface protocol (ipv4|ipv6|dualstack) and the peer's protocol (ipv4|ipv6|prefer_ipv4|prefer_ipv6)
## given, and all four STUN addresses (two per family, so the NAT behaviour can be judged); prints
## the path.
write_stunmesh_config_family() {
    local peer=$1 other=$2 if_protocol=$3 peer_protocol=$4
    local file other_name
    file="$(e2e_peer_dir "$peer")/config.yaml"
    other_name="peer_$(echo "$other" | tr '[:upper:]' '[:lower:]')"
    cat >"$file" <<EOF6
refresh_interval: "${E2E_REFRESH:-10m}"
log: { level: debug }
stun:
  addresses: ["$E2E_STUN1:$E2E_STUN_PORT", "$E2E_STUN2:$E2E_STUN_PORT",
              "[$E2E_STUN6_1]:$E2E_STUN_PORT", "[$E2E_STUN6_2]:$E2E_STUN_PORT"]
state_file: "$(e2e_peer_dir "$peer")/replay.json"
interfaces:
  wg0:
    protocol: $if_protocol
    peers:
      $other_name:
        public_key: "$(wg_pubkey "$other")"
        plugin: store
        protocol: $peer_protocol
$( [[ ${E2E_KEEPALIVE:-5} == none ]] || echo "        keepalive: ${E2E_KEEPALIVE:-5}")
plugins:
  store: { type: builtin, name: file, directory: "$E2E_STORE" }
EOF6
    echo "$file"
}

## without_ts — drops stunmeshd's replay timestamp (`,"ts":N`) from a record's JSON on stdin, leaving
## the part stunmesh-go writes byte for byte (plus `nat` when present).
without_ts() { sed -E 's/,"ts":[0-9]+//'; }

## store_record FROM TO — the plaintext JSON of the record peer<FROM> wrote for peer<TO> in the
## shared file store, opened independently (PyNaCl); fails when there is none.
store_record() {
    "$E2E_PYTHON" -I "$E2E_DIR/open_record.py" "$E2E_STORE" "$(wg_pubkey "$1")" \
        "$(cat "$(e2e_peer_dir "$2")/private.key")"
}

## hub_scene_up N [MONITOR] — a hub (issue #15): the two-NAT topology, wireguard-go in peerA and peerB
## paired, and N-1 more peers on A's wg0 whose partners never publish: random 32-byte public keys (any
## 32 bytes are a valid Curve25519 public key to WireGuard), each with its own allowed /32, added in
## one `wg addconf`. Writes A's config (N peers: peer_b and p0001…; file store, log level info,
## refresh 10m, status file in A's directory; `monitor: MONITOR` when given) and B's (managing A,
## keepalive learned, log level info). Sets HUB_CONF_A and HUB_CONF_B; starts no daemon.
hub_scene_up() {
    local n=$1 monitor=${2:-}
    topo_two_nats eim eim
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    wg_pair A B
    local fake
    fake="$(e2e_peer_dir A)/fake-peers.conf"
    "$E2E_PYTHON" -I - "$n" >"$fake" <<'PY'
import base64, os, sys
for i in range(1, int(sys.argv[1])):
    print(f"[Peer]\nPublicKey = {base64.b64encode(os.urandom(32)).decode()}\nAllowedIPs = 10.200.{i // 250}.{i % 250 + 1}/32\n")
PY
    inpeer A wg addconf wg0 "$fake"
    HUB_CONF_A="$(e2e_peer_dir A)/config.yaml"
    {
        echo "refresh_interval: \"10m\""
        echo "log: { level: info }"
        [[ -z $monitor ]] || echo "monitor: $monitor"
        echo "stun: { addresses: [\"$E2E_STUN1:$E2E_STUN_PORT\"] }"
        echo "status_file: \"$(e2e_peer_dir A)/status.json\""
        echo "state_file: \"$(e2e_peer_dir A)/replay.json\""
        echo "interfaces:"
        echo "  wg0:"
        echo "    protocol: ipv4"
        echo "    peers:"
        echo "      peer_b: { public_key: \"$(wg_pubkey B)\", plugin: store }"
        awk '/^PublicKey/ { printf "      p%04d: { public_key: \"%s\", plugin: store }\n", ++i, $3 }' "$fake"
        echo "plugins:"
        echo "  store: { type: builtin, name: file, directory: \"$E2E_STORE\" }"
    } >"$HUB_CONF_A"
    HUB_CONF_B=$(E2E_KEEPALIVE=none write_stunmesh_config B A)
    sed -i 's/level: debug/level: info/' "$HUB_CONF_B"
}
