#!/usr/bin/env bash
# Issue 2's measurements of the walking skeleton, printed as a table:
#   1. start -> first handshake in the two-NAT end-to-end scenario (tests/e2e/test_skeleton.sh's
#      topology): both stunmeshd started at once, then `wg show wg0 latest-handshakes` polled in both
#      peers until both report one. Nothing is sent into the tunnel meanwhile (wireguard-go allows
#      one initiation per 5 s and counts a failed one). Median and max over N runs, each a fresh
#      topology with fresh keys (so the initiator role falls either way).
#   2. the stripped size of a static release binary: swift build -c release --static-swift-stdlib
#      (scratch path .build-static), copied, stripped.
#   3. idle RSS 60 s after start of a stunmeshd managing two peers (B behind its NAT, and one
#      public partner; both partners are real wireguard-go peers with their own stunmeshd, so both
#      tunnels are up and monitored): VmRSS from /proc, for the release binary and the static one.
#
#   4. with --first-contact (only that is measured): first contact with traffic already flowing
#      (docs/first-contact.md; tests/e2e/first_contact_lib.sh's scene): from the later daemon's
#      start to both sides having a handshake, file store, for traffic none / from the initiator /
#      from the responder / both ways (a ping every 0.2 s from before either daemon starts), start
#      offsets 0, 3 and 25 s and both start orders; plus OpenDHT without traffic. Every cell RUNS
#      times (default 5) for each binary given by --base (the parent commit's) and the daemon,
#      at the same time; p50 / p95 / max per cell. -j JOBS runs JOBS sweeps of each binary at
#      the same time (each its own scenes; RUNS split between them): 20 runs per cell take ~2.7 h
#      one sweep at a time.
#
#   bash bench/skeleton.sh [-n RUNS] [--no-static]
#   bash bench/skeleton.sh --first-contact [-n RUNS] [-j JOBS] [--base OLD_BINARY]
# Needs root, the e2e packages (scripts/install-deps) and a release build (swift build -c release;
# or STUNMESHD=path). Not part of scripts/test.
set -euo pipefail
source "$(dirname "$0")/common.sh"

# --- one measurement per process (each builds and removes its own topology) ---
case ${1:-} in
--handshake-run)
    bin=$2
    topo_two_nats eim eim
    start_stun
    start_wg A 10.99.0.1/24
    start_wg B 10.99.0.2/24
    wg_pair A B
    conf_a=$(write_stunmesh_config A B)
    conf_b=$(write_stunmesh_config B A)
    t0=$(now_ts)
    start_stunmeshd A "$conf_a" "$bin"
    start_stunmeshd B "$conf_b" "$bin"
    ## has_handshake PEER — wg show reports a handshake with the peer's only peer.
    has_handshake() { inpeer "$1" wg show wg0 latest-handshakes | awk '$2 > 0 { ok = 1 } END { exit !ok }'; }
    deadline=$((SECONDS + 60))
    until has_handshake A && has_handshake B; do
        daemons_alive
        ((SECONDS < deadline)) || e2e_fail "no handshake within 60 s"
        sleep 0.02
    done
    echo "$(seconds_since "$t0") initiator=peer$(wg_initiator A B)"
    exit 0
    ;;
--first-contact-run)
    bin=$2 offset=$3 first=$4 traffic=$5 store=$6
    source "$E2E_ROOT/tests/e2e/stores_lib.sh"
    source "$E2E_ROOT/tests/e2e/first_contact_lib.sh"
    E2E_STUNMESHD=$bin
    first_contact_scene "$offset" "$first" "$traffic" "$store" 40
    exit 0
    ;;
--rss-run)
    bin=$2 wait=$3
    hub_up 2 events "$bin"
    pid=${E2E_DAEMON_PID[A]}
    start=$(awk '{ print $22 }' "/proc/$pid/stat")   # start time in ticks since boot
    hz=$(getconf CLK_TCK)
    while (($(awk -v hz="$hz" '{ print int($1 * hz) }' /proc/uptime) - start < wait * hz)); do
        sleep 0.5
    done
    daemons_alive
    # Where the resident pages are, largest first (kB per mapped file), for the record.
    awk '/^[0-9a-f]+-/ { name = ($6 == "" ? "[anon]" : $6) } /^Rss:/ { r[name] += $2 }
        END { for (n in r) printf "%d %s\n", r[n], n }' "/proc/$pid/smaps" | sort -rn | head -n 8 >&2
    echo "$(proc_rss_kb "$pid") $(awk '/^Pss:/ { p = $2 } /^Private_Dirty:/ { d = $2 } END { print p, d }' "/proc/$pid/smaps_rollup") $(proc_threads "$pid")"
    exit 0
    ;;
esac

runs="" static=1 first_contact=0 base=""
while (($# > 0)); do
    case $1 in
        -n) runs=$2; shift 2 ;;
        --no-static) static=0; shift ;;
        --first-contact) first_contact=1; shift ;;
        --base) base=$2; shift 2 ;;
        -j) jobs=$2; shift 2 ;;
        *) echo "usage: $0 [-n RUNS] [--no-static] | --first-contact [-n RUNS] [-j JOBS] [--base OLD_BINARY]" >&2; exit 2 ;;
    esac
done
bin=$(bench_binary)
runs_given=$runs

## first_contact_cells — "offset first traffic store" per line: the matrix of --first-contact
## (FIRST_CONTACT_TRAFFIC, default "none initiator responder both", narrows it; OpenDHT cells
## only with "none" in it).
first_contact_cells() {
    local traffic offset first
    for traffic in ${FIRST_CONTACT_TRAFFIC:-none initiator responder both}; do
        for offset in 0 3 25; do
            for first in initiator responder; do echo "$offset $first $traffic file"; done
        done
    done
    [[ " ${FIRST_CONTACT_TRAFFIC:-none} " == *" none "* ]] || return 0
    for offset in 0 3 25; do echo "$offset initiator none opendht"; done
}

## first_contact_sweep BINARY RUN PREFIX — every cell once (bench_parallel's FUNCTION).
first_contact_sweep() {
    local b=$1 run=$2 prefix=$3 offset first traffic store line
    while read -r offset first traffic store; do
        line=$(bash "$BENCH_DIR/skeleton.sh" --first-contact-run "$b" "$offset" "$first" "$traffic" "$store" \
            2>"$prefix.$offset-$first-$traffic-$store.log") || line="failed - -"
        echo "$b $offset $first $traffic $store $line" >>"$prefix"
    done < <(first_contact_cells)
}

if ((first_contact)); then
    runs=${runs:-5}
    echo "# bench/skeleton.sh --first-contact $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(wireguard-go --version 2>&1 | head -n 1)"
    binaries=("$bin")
    [[ -z $base ]] || binaries=("$base" "$bin")
    jobs=${jobs:-1}
    per_job=$(((runs + jobs - 1) / jobs))
    echo "# daemons: ${binaries[*]}; $((per_job * jobs)) run(s) per cell and binary in $jobs sweep(s) each, all at the same time"
    sweeps=()
    for b in "${binaries[@]}"; do for ((j = 0; j < jobs; j++)); do sweeps+=("$b"); done; done
    all=$(mktemp)
    bench_parallel "$per_job" first_contact_sweep "${sweeps[@]}" | tee "$all" | grep -v '^/' || true
    echo
    printf '| %-9s | %-6s | %-10s | %-7s |' traffic offset first store
    for b in "${binaries[@]}"; do printf ' %-28s |' "$([[ $b == "$base" ]] && echo base || echo this) p50 / p95 / max (n)"; done
    echo
    while read -r offset first traffic store; do
        printf '| %-9s | %-6s | %-10s | %-7s |' "$traffic" "${offset} s" "$first" "$store"
        for b in "${binaries[@]}"; do
            b=$(cd "$(dirname "$b")" && echo "$(pwd)/$(basename "$b")")
            vals=$(mktemp)
            awk -v b="$b" -v o="$offset" -v f="$first" -v t="$traffic" -v s="$store" \
                '$1 == b && $2 == o && $3 == f && $4 == t && $5 == s { print $6 }' "$all" >"$vals"
            read -r n p50 p95 max < <(bench_stats "$vals")
            printf ' %-28s |' "$p50 / $p95 / $max ($n)"
            rm -f "$vals"
        done
        echo
    done < <(first_contact_cells)
    echo
    echo "how each handshake started (this binary): $(awk -v b="$bin" '$1 == b { print $8 }' "$all" | sort | uniq -c | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
    exit 0
fi
runs=${runs_given:-10}
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-skeleton.XXXXXX")
echo "# bench/skeleton.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(wireguard-go --version 2>&1 | head -n 1)"
echo "# daemon: $bin; raw results in $out"

# 1. start -> first handshake
for ((i = 1; i <= runs; i++)); do
    line=$(bash "$0" --handshake-run "$bin" 2>"$out/handshake-$i.log") || { echo "run $i failed (see $out/handshake-$i.log)"; line="failed"; }
    echo "$line" >>"$out/handshake.txt"
    echo "  handshake run $i: $line"
done
cut -d' ' -f1 "$out/handshake.txt" >"$out/handshake.values"
read -r n p50 _ max < <(bench_stats "$out/handshake.values")

# 2. static binary size
size_line="not measured (--no-static)"
static_bin=""
if ((static)); then
    echo "  building the static release binary (.build-static)…"
    if (cd "$E2E_ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-static) >"$out/static-build.log" 2>&1; then
        static_bin="$out/stunmeshd-static"
        cp "$(cd "$E2E_ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/stunmeshd" "$static_bin"
        unstripped=$(stat -c %s "$static_bin")
        cp "$static_bin" "$static_bin.unstripped"
        strip "$static_bin"
        bytes=$(stat -c %s "$static_bin")
        libs=$(ldd "$static_bin" | awk '{ print $1 }' | grep -v -e linux-vdso -e ld-linux | tr '\n' ' ')
        size_line=$(awk -v b="$bytes" -v u="$unstripped" 'BEGIN { printf "%.2f MB (%.2f MiB; %d bytes; %.1f MB before strip)", b / 1e6, b / 1048576, b, u / 1e6 }')
        echo "  static binary links dynamically only: $libs"
    else
        size_line="static build failed (see $out/static-build.log)"
    fi
fi

# 3. idle RSS after 60 s with two peers: RSS_RUNS scenes (default 3) per binary, the median run
# reported. VmRSS counts every resident page the process maps, shared library pages included, and
# moves by a few hundred kB from run to run with the page cache (whole folios get mapped).
rss_for() {
    local b=$1 i r runs=${RSS_RUNS:-3}
    : >"$out/rss-$(basename "$b").txt"
    for ((i = 1; i <= runs; i++)); do
        r=$(bash "$0" --rss-run "$b" 60 2>"$out/rss-$(basename "$b")-$i.log") || { echo "failed (see $out/rss-$(basename "$b")-$i.log)"; return; }
        echo "$r $i" >>"$out/rss-$(basename "$b").txt"
    done
    cp "$out/rss-$(basename "$b")-1.log" "$out/rss-$(basename "$b").log"
    sort -n "$out/rss-$(basename "$b").txt" | awk -v n="$runs" '
        { v[NR] = $0; all = all (NR > 1 ? ", " : "") sprintf("%.2f", $1 * 1024 / 1e6) }
        END { split(v[int((n + 1) / 2)], m, " ")
              printf "%.2f MB VmRSS, median of %d (%s; PSS %d kB, private dirty %d kB, %d thread(s))", m[1] * 1024 / 1e6, n, all, m[2], m[3], m[4] }'
}
rss_release=$(rss_for "$bin")
rss_static="not measured"
[[ -z $static_bin ]] || rss_static=$(rss_for "$static_bin")

echo
printf '| %-52s | %s |\n' "measure" "result"
printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "$(printf -- '-%.0s' {1..60})"
printf '| %-52s | %s |\n' "start -> first handshake, median of $n runs" "$p50 s"
printf '| %-52s | %s |\n' "start -> first handshake, max of $n runs" "$max s"
printf '| %-52s | %s |\n' "static release binary, stripped" "$size_line"
if [[ -n $static_bin ]]; then
    # How much of linker/stunmeshd.order still names functions of the binary (bench/order-file.sh).
    order_line=$(nm --defined-only "$static_bin.unstripped" 2>/dev/null | awk 'NR == FNR { have[$3] = 1; next } { n++; if ($1 in have) k++ } END { printf "%d of %d names found", k, n }' - "$E2E_ROOT/linker/stunmeshd.order")
    printf '| %-52s | %s |\n' "linker/stunmeshd.order" "$order_line"
fi
printf '| %-52s | %s |\n' "idle RSS 60 s after start, 2 peers (release build)" "$rss_release"
printf '| %-52s | %s |\n' "idle RSS 60 s after start, 2 peers (static build)" "$rss_static"
for b in stunmeshd stunmeshd-static; do
    [[ -f $out/rss-$b.log ]] || continue
    echo
    echo "largest resident mappings of $b after 60 s (kB):"
    grep -E '^[0-9]+ [/\[]' "$out/rss-$b.log" | sed 's/^/    /'
done
