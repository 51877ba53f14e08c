#!/usr/bin/env bash
# Makes linker/stunmeshd.order: the functions of the daemon that a running stunmeshd executes,
# hottest first. The release link (Package.swift, releaseLinkerSettings) places them at the start
# of .text, so the pages a running daemon touches are few and together instead of spread over the
# whole binary (docs/benchmarks.md, "Idle RSS": about 1.7 MB less resident memory).
#
#   bash bench/order-file.sh [--seconds N] [-o FILE]
#
# How: builds the static release binary (.build-static), runs the idle scene of bench/skeleton.sh
# (one stunmeshd managing two peers, bench/common.sh hub_up) with that daemon under valgrind's
# callgrind from its first instruction — start, discovery, publish, record exchange, configure —
# through N seconds (default 60) of monitoring, then stops it with SIGTERM and lists every
# function of the binary that ran, by instructions executed (self cost), one mangled name a line.
# The order is a hint: names that later changes rename or remove are skipped by the linker, so an
# old file costs memory, never correctness. Rerun after larger changes and commit the result.
# Needs root, the e2e packages (scripts/install-deps) and valgrind. Not part of scripts/test.
set -euo pipefail
source "$(dirname "$0")/common.sh"

seconds=60 output="$E2E_ROOT/linker/stunmeshd.order"
while (($# > 0)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        -o) output=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N] [-o FILE]" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "order-file: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }

echo "order-file: building the static release binary (.build-static)…"
(cd "$E2E_ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-static) >/dev/null
bin="$(cd "$E2E_ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/stunmeshd"
work=$(mktemp -d "${TMPDIR:-/tmp}/order-file.XXXXXX")
# Symbols are all callgrind needs; valgrind 3.19 cannot read the DWARF of this link.
strip --strip-debug -o "$work/stunmeshd" "$bin"

# A's daemon under callgrind: mangled names, no compression, so the output is easy to read.
cat >"$work/under-callgrind" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \\
    --dump-instr=no --callgrind-out-file="$work/callgrind.out" "$work/stunmeshd" "\$@"
WRAP
chmod +x "$work/under-callgrind"

echo "order-file: the two-peer scene with peerA's daemon under callgrind, ${seconds} s of monitoring…"
BENCH_HUB_A_BIN="$work/under-callgrind" BENCH_HUB_WAIT=120 hub_up 2 events "$work/stunmeshd"
sleep "$seconds"
daemons_alive
kill -TERM "${E2E_DAEMON_PID[A]}"
wait_for 30 test -s "$work/callgrind.out" || e2e_fail "callgrind wrote no profile"
sleep 1

# Self cost per function of the binary's own object: cost lines in a fn= block, except the line
# after each calls= line (that one is the inclusive cost of the call).
python3 - "$work/callgrind.out" "$work/stunmeshd" "$output" <<'PY'
import sys
profile, binary, output = sys.argv[1:]
cost, obj, fn, after_call = {}, None, None, False
for line in open(profile, errors="replace"):
    if line.startswith("ob="):
        obj = line[3:].strip()
    elif line.startswith("fn="):
        # "name'2" is callgrind's name for a recursive call's second level: the same function.
        fn = line[3:].strip().split("'")[0] if obj == binary else None
        if fn: cost.setdefault(fn, 0)
    elif line.startswith("calls="):
        after_call = True
    elif line[:1].isdigit() or line[:1] in "+-":
        if fn and not after_call:
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit(): cost[fn] += int(fields[1])
        after_call = False
    elif line.startswith(("cob=", "cfi=", "cfn=", "cfl=")):
        pass
    else:
        after_call = False
# Left out: addresses without a symbol (0x…) and callgrind's own entries like "(below main)".
names = [n for n in sorted(cost, key=lambda n: (-cost[n], n)) if not n.startswith(("0x", "("))]
if len(names) < 100:
    sys.exit(f"order-file: only {len(names)} functions of {binary} in the profile; not writing {output}")
with open(output, "w") as f:
    f.write("".join(n + "\n" for n in names))
print(f"order-file: {len(names)} functions written to {output}")
PY
# SwiftPM does not know the order file is a link input: remove the binary so the next release
# build links again with the new order.
rm -f "$bin"
rm -rf "$work"
