#!/usr/bin/env bash
# The fuzz targets (fuzz/, docs/fuzzing.md) as regression tests: the package builds with libFuzzer
# and AddressSanitizer instrumentation, and every target replays its kept corpus and every kept
# reproducer (fuzz/crashes/<target>-*) without a crash, a leak or an over-read (-runs=0: each input
# once, no mutation).
# e2e-timeout: 600
set -euo pipefail
source "$(dirname "$0")/lib.sh"

fuzz_dir="$E2E_ROOT/fuzz"
log=$(mktemp "${TMPDIR:-/tmp}/stunmeshd-fuzz-build.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$SECONDS
(cd "$fuzz_dir" && swift build -c release -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address) \
    >"$log" 2>&1 || { tail -n 30 "$log"; e2e_fail "the fuzz targets do not build"; }
echo "ok - fuzz targets built in $((SECONDS - start)) s"
bin="$fuzz_dir/.build/release"
targets=$(sed -n 's/^let targets = \[\(.*\)/\1/p; /^               "/p' "$fuzz_dir/Package.swift" | grep -o '"Fuzz[A-Za-z]*"' | tr -d '"')
count=0
for target in $targets; do
    out=$("$bin/$target" -runs=0 -rss_limit_mb=2048 "$fuzz_dir/corpus/$target" 2>&1) ||
        { tail -n 30 <<<"$out"; e2e_fail "$target failed on its corpus"; }
    executed=$(sed -n 's/.*INITED.*corp: \([0-9]*\).*/\1/p' <<<"$out" | tail -n 1)
    # Reproducers are files: libFuzzer runs each given file once (it refuses files beside directories).
    reproducers=()
    for reproducer in "$fuzz_dir"/crashes/"$target"-*; do [[ -e $reproducer ]] && reproducers+=("$reproducer"); done
    if ((${#reproducers[@]} > 0)); then
        out=$("$bin/$target" -rss_limit_mb=2048 "${reproducers[@]}" 2>&1) ||
            { tail -n 30 <<<"$out"; e2e_fail "$target fails on a reproducer again"; }
    fi
    echo "ok - $target: corpus replayed (${executed:-?} inputs kept), ${#reproducers[@]} reproducers"
    count=$((count + 1))
done
((count >= 14)) || e2e_fail "only $count fuzz targets"
echo "PASS test_fuzz_replay ($count targets)"
