#!/usr/bin/env bash
# No torn files (issue #16): the status file, the metrics file and the replay state are replaced
# atomically (AtomicFile: a temporary file, fsync, rename, fsync of the directory), so `kill -9` at
# any moment leaves each either absent, the old version or the new one — always whole. Two peers
# connect; then RUNS times peerA's daemon is started again and killed with SIGKILL after a random
# 0–1.5 s (during start-up: first status write, first publish, the state file's first write), and
# every file it writes must parse as a whole JSON document (the metrics as whole exposition lines),
# with no temporary file left that a reader could take for the real one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${E2E_RUNS:-15}
E2E_STUNMESHD=$(find_stunmeshd) || exit 1
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B
dir=$(e2e_peer_dir A)
conf_a=$(write_stunmesh_config A B)
echo "metrics_file: \"$dir/metrics.prom\"" >>"$conf_a"
start_stunmeshd B "$(write_stunmesh_config B A)"
start_stunmeshd A "$conf_a"
wait_for 30 tunnel_ping A B 1 || e2e_fail "the tunnel did not come up"
wait_for 15 test -s "$dir/replay.json" || e2e_fail "no replay state written"

whole_json() { "$E2E_PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
check_files() {
    local f
    for f in "$dir/status.json" "$dir/replay.json"; do
        [[ ! -e $f ]] || whole_json "$f" || e2e_fail "$(basename "$f") is torn after kill -9: $(head -c 200 "$f")"
    done
    if [[ -e $dir/metrics.prom ]]; then
        [[ $(tail -c 1 "$dir/metrics.prom" | od -An -c | tr -d ' ') == '\n' ]] ||
            e2e_fail "metrics.prom does not end with a whole line after kill -9"
    fi
}
kill -KILL "${E2E_DAEMON_PID[A]}"
for run in $(seq "$RUNS"); do
    check_files
    start_stunmeshd A "$conf_a"
    pid=${E2E_DAEMON_PID[A]}
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", (r % 150) / 100 }')"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
check_files
echo "ok - $RUNS kill -9 at random moments of start-up: status.json, replay.json and metrics.prom always whole"
# Temporary files of an interrupted write may stay (named .<file>.<pid>.<n>.tmp, never the real name).
leftovers=$(find "$dir" -maxdepth 1 -name '.*.tmp' | wc -l)
echo "ok - $leftovers temporary files left by interrupted writes (hidden names, never read)"
echo "PASS test_kill9_files ($(e2e_elapsed) s)"
