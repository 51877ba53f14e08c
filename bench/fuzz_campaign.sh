#!/usr/bin/env bash
# The fuzz campaign of issue #16: every target (fuzz/Package.swift) for RUNS executions or
# SECONDS seconds, whichever comes first, one after the other, on one core. Prints one line per
# target (executions, seconds, coverage, corpus, findings) and the table row docs/fuzzing.md keeps.
#
#   bash bench/fuzz_campaign.sh [-r RUNS] [-t SECONDS] [-o OUTDIR] [TARGET...]
#
# Builds the instrumented package first (fuzz/, docs/fuzzing.md). New corpus entries go to
# OUTDIR/corpus/<target> (the kept corpus is read, never written); reproducers of findings to
# OUTDIR/crashes/. Merge what is worth keeping with `-merge=1` (docs/fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=10000000 seconds=3600 out=/tmp/stunmeshd-fuzz-campaign
while getopts r:t:o: flag; do
    case $flag in r) runs=$OPTARG ;; t) seconds=$OPTARG ;; o) out=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
cd "$root/fuzz"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address >/dev/null
targets=${*:-$(sed -n 's/^let targets = \[\(.*\)/\1/p; /^               "/p' Package.swift | grep -o '"Fuzz[A-Za-z]*"' | tr -d '"')}
mkdir -p "$out/crashes"
echo "fuzz campaign: runs=$runs max_total_time=${seconds}s, $(date -u +%FT%TZ), $(git -C "$root" rev-parse --short HEAD), $(nproc) cores"
printf '%-16s %12s %8s %8s %8s %s\n' target executions seconds edges corpus findings
for target in $targets; do
    mkdir -p "$out/corpus/$target"
    log="$out/$target.log"
    start=$(date +%s.%N)
    status=0
    ".build/release/$target" -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" \
        "$out/corpus/$target" "corpus/$target" >"$log" 2>&1 || status=$?
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    edges=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    findings=$(find "$out/crashes" -name "$target-*" | wc -l)
    ((status == 0)) || findings="$findings (exit $status, see $log)"
    printf '%-16s %12s %8.0f %8s %8s %s\n' "$target" "${executions:-?}" "$elapsed" "${edges:-?}" "${corpus:-?}" "$findings"
done
