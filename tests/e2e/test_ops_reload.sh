#!/usr/bin/env bash
# SIGHUP end-to-end: three sites (A, B, C behind their own NATs). A's stunmeshd starts managing B
# only; C's daemon already waits for A. Then:
#   1. A's config gains peer C, SIGHUP → C is started, the A–C tunnel comes up, and peer B is not
#      touched (same state_since, no new discovery for it);
#   2. an invalid config (a typo'd key, `stun.adresses`: a near-miss of a known key is an error) →
#      rejected with a clear error naming the key and what was meant, the daemon keeps running both;
#      a config with a store token → the token never appears in the log;
#   3. A's config loses peer B, SIGHUP → B is stopped (nothing more happens for it, even on
#      SIGUSR2), C goes on untouched;
#   4. peer C gains a second store, then that second store's settings change: each SIGHUP restarts
#      C alone, which then writes its record to the second store's new directory;
#   5. log level debug → info → debug applies at once, without restarting a peer;
#   6. a changed `monitor` refuses the whole reload, naming the key (the rest of that file is not
#      applied either);
#   7. a changed `status_file` applies at once: the new file is written, the old one removed, no peer
#      restarted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1
echo "using stunmeshd: $E2E_STUNMESHD"

topo_two_nats eim eim
topo_add_side_c eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
start_wg C 10.99.0.3/24
wg_pair A B
wg_pair A C

dir_a=$(e2e_peer_dir A)
conf_a="$dir_a/config.yaml"
log_a="$dir_a/stunmeshd.log"
write_stunmesh_config_peers A "$conf_a" B >/dev/null
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$(write_stunmesh_config B A)"
start_stunmeshd C "$(write_stunmesh_config_peers C "$(e2e_peer_dir C)/config.yaml" A)"
e2e_log "stunmeshd in A (pid $pid_a, managing B), B and C"

alive_a() { kill -0 "$pid_a" 2>/dev/null || e2e_fail "A's stunmeshd exited"; }
linked() { wg_handshake_age A "$1" && wg_handshake_age "$1" A && tunnel_ping A "$1"; }
## wait_linked SIDE SECONDS — A and SIDE handshake and ping within SECONDS.
wait_linked() {
    local deadline=$((SECONDS + $2))
    until linked "$1" >/dev/null 2>&1; do
        alive_a
        ((SECONDS < deadline)) || e2e_fail "no A–$1 tunnel within $2 s"
        sleep 0.5
    done
}
## status_field PYEXPR — evaluate PYEXPR on A's status JSON (s) after a fresh SIGUSR1 dump.
status_field() {
    local before
    before=$(stat -c %Y.%N "$dir_a/status.json" 2>/dev/null || true)
    kill -USR1 "$pid_a"
    wait_for 5 bash -c "[[ \$(stat -c %Y.%N '$dir_a/status.json') != '$before' ]]" || true
    "$E2E_PYTHON" -I -c "import json,sys; s=json.load(open(sys.argv[1])); p={x['peer']: x for x in s['peers']}; print($1)" \
        "$dir_a/status.json"
}
## log_since LINE — A's log after line LINE.
log_since() { tail -n +$(($1 + 1)) "$log_a"; }

wait_linked B 60
wait_for 10 test -s "$dir_a/status.json" || e2e_fail "no status file"
b_since=$(status_field "p['peer_b']['state_since']")
b_stun_at=$(status_field "p['peer_b']['stun'][0]['at']")
[[ $(status_field "sorted(p)") == "['peer_b']" ]] || e2e_fail "A manages more than peer_b before the reload"
linked C >/dev/null 2>&1 && e2e_fail "A–C tunnel up before A manages C"
echo "ok - A manages only B; A–B up, A–C down"

# --- 1. add peer C ---------------------------------------------------------------------------
mark=$(wc -l <"$log_a")
write_stunmesh_config_peers A "$conf_a" B C >/dev/null
kill -HUP "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -q 'msg=\"config reloaded\"'" || e2e_fail "no reload after SIGHUP"
log_since "$mark" | grep -q 'msg="config reloaded".*started=1.*stopped=0.*unchanged=1' ||
    e2e_fail "reload did not start exactly C: $(log_since "$mark" | grep 'config reloaded')"
wait_linked C 30
alive_a
[[ $(status_field "sorted(p)") == "['peer_b', 'peer_c']" ]] || e2e_fail "A's status lacks peer_c"
[[ $(status_field "p['peer_b']['state_since']") == "$b_since" ]] || e2e_fail "peer_b's state changed on reload"
[[ $(status_field "p['peer_b']['stun'][0]['at']") == "$b_stun_at" ]] || e2e_fail "peer_b re-discovered on reload"
if log_since "$mark" | grep 'peer=peer_b' | grep -qE 'msg=(discovered|published|"endpoint set"|"peer stopped)'; then
    e2e_fail "peer_b was touched by the reload: $(log_since "$mark" | grep 'peer=peer_b')"
fi
linked B >/dev/null 2>&1 || e2e_fail "A–B tunnel lost across the reload"
echo "ok - SIGHUP added peer C (A–C tunnel up), peer B untouched (state since $b_since)"

# --- 2. an invalid config is rejected ----------------------------------------------------------
mark=$(wc -l <"$log_a")
good=$(cat "$conf_a")
sed -i 's|stun: { addresses:|stun: { adresses:|' "$conf_a"
grep -q 'adresses' "$conf_a" || e2e_fail "the typo was not written into $conf_a"
kill -HUP "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -q 'reload rejected'" || e2e_fail "invalid config not rejected"
rejected=$(log_since "$mark" | grep 'reload rejected')
grep -q 'level=error' <<<"$rejected" && grep -q 'stun.adresses: unknown key; did you mean addresses?' <<<"$rejected" ||
    e2e_fail "rejection does not name the key: $rejected"
sleep 1
alive_a
[[ $(status_field "sorted(p)") == "['peer_b', 'peer_c']" ]] || e2e_fail "peers changed by a rejected config"
linked B >/dev/null 2>&1 && linked C >/dev/null 2>&1 || e2e_fail "a tunnel broke after a rejected reload"
echo "ok - invalid config rejected ($rejected), both peers still managed"
echo "$good" >"$conf_a"

# --- 2b. a config holding a store token: whatever becomes of it, the token is never logged ------
token="e2e-SECRET-token-$RANDOM$RANDOM"
mark=$(wc -l <"$log_a")
E2E_CONFIG_EXTRA="  cf: { type: builtin, name: cloudflare, zone: example.com, token: \"$token\", api_url: \"http://127.0.0.1:9\" }" \
    write_stunmesh_config_peers A "$conf_a" B C >/dev/null
# The extra line is indented, so it joins plugins: (the writer appends it after the store entry).
grep -q "token: \"$token\"" "$conf_a" || e2e_fail "token config not written"
kill -HUP "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -qE 'config reloaded|reload rejected'" || e2e_fail "no reload outcome"
alive_a
if grep -qF "$token" "$log_a"; then e2e_fail "the store token appears in A's log"; fi
echo "ok - a config with a Cloudflare token was $(log_since "$mark" | grep -qE 'reload rejected' && echo rejected || echo applied); the token is not in the log"
echo "$good" >"$conf_a"
kill -HUP "$pid_a"
sleep 1

# --- 3. remove peer B --------------------------------------------------------------------------
c_since=$(status_field "p['peer_c']['state_since']")
mark=$(wc -l <"$log_a")
write_stunmesh_config_peers A "$conf_a" C >/dev/null
kill -HUP "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -q 'msg=\"config reloaded\"'" || e2e_fail "no reload after SIGHUP"
log_since "$mark" | grep -q 'msg="peer stopped by reload".*peer=peer_b' || e2e_fail "peer_b not stopped"
log_since "$mark" | grep -q 'msg="config reloaded".*started=0.*stopped=1.*unchanged=1' ||
    e2e_fail "reload did not stop exactly B: $(log_since "$mark" | grep 'config reloaded')"
[[ $(status_field "sorted(p)") == "['peer_c']" ]] || e2e_fail "A's status still lists peer_b"
[[ $(status_field "p['peer_c']['state_since']") == "$c_since" ]] || e2e_fail "peer_c's state changed on reload"
mark=$(wc -l <"$log_a")
kill -USR2 "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep 'peer=peer_c' | grep -q 'msg=discovered'" ||
    e2e_fail "peer_c did not re-discover on SIGUSR2"
sleep 1
if log_since "$mark" | grep -q 'peer=peer_b'; then
    e2e_fail "the removed peer_b still acts: $(log_since "$mark" | grep 'peer=peer_b')"
fi
wait_linked C 20
alive_a
echo "ok - SIGHUP removed peer B (nothing more from it, even on SIGUSR2), peer C untouched"

## write_a_config EXTRA_DIR [LEVEL] [MONITOR] — A's config managing C through two stores: the shared
## one and a file store in EXTRA_DIR; log level LEVEL (debug); a `monitor:` line when MONITOR is set.
write_a_config() {
    local extra="  extra: { type: builtin, name: file, directory: \"$1\" }"
    [[ -z ${3:-} ]] || extra+=$'\n'"monitor: { mode: $3 }"
    E2E_CONFIG_EXTRA=$extra write_stunmesh_config_peers A "$conf_a" C >/dev/null
    sed -i -e "/peer_c:/s/plugin: store,/plugins: [store, extra],/" -e "s/^log: { level: debug }/log: { level: ${2:-debug} }/" "$conf_a"
}
## reload_a — SIGHUP A and wait for its outcome; prints the outcome line.
reload_a() {
    local mark
    mark=$(wc -l <"$log_a")
    kill -HUP "$pid_a"
    wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -qE 'msg=\"config reloaded\"|reload rejected'" ||
        e2e_fail "no reload outcome"
    log_since "$mark" | grep -E 'msg="config reloaded"|reload rejected'
}

# --- 4. a second store, then its settings changed ------------------------------------------------
extra1="$E2E_RUN/extra-store-1" extra2="$E2E_RUN/extra-store-2"
write_a_config "$extra1"
outcome=$(reload_a)
grep -q 'changed=1 started=1 stopped=1' <<<"$outcome" || e2e_fail "adding C's second store did not restart C: $outcome"
wait_for 20 bash -c "ls '$extra1' | grep -q ." || e2e_fail "C's record never reached its second store"
[[ $(status_field "[x['plugin'] for x in p['peer_c']['stores']]") == "['store', 'extra']" ]] ||
    e2e_fail "status does not list both of C's stores: $(status_field "p['peer_c']['stores']")"
starts_c() { grep 'msg="peer started by reload"' "$log_a" | grep -c 'peer=peer_c'; }
c_starts=$(starts_c)
write_a_config "$extra2"
outcome=$(reload_a)
grep -q 'changed=1 started=1 stopped=1' <<<"$outcome" || e2e_fail "changing the second store did not restart C: $outcome"
wait_for 20 bash -c "ls '$extra2' 2>/dev/null | grep -q ." || e2e_fail "C's record never reached the second store's new directory"
(($(starts_c) == c_starts + 1)) || e2e_fail "peer_c was not restarted"
wait_linked C 20
echo "ok - a second store added, then its directory changed: C restarted each time and wrote to $extra2"

# --- 5. the log level applies at once --------------------------------------------------------------
c_starts=$(starts_c)
write_a_config "$extra2" info
outcome=$(reload_a)
grep -q 'changed=0 started=0 stopped=0' <<<"$outcome" || e2e_fail "a log change restarted peers: $outcome"
mark=$(wc -l <"$log_a")
kill -USR2 "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -q 'manual: re-discovering now'" ||
    e2e_fail "peer_c did not re-discover on SIGUSR2"
sleep 1
if log_since "$mark" | grep -q 'level=debug'; then e2e_fail "debug lines at level info: $(log_since "$mark" | grep -m3 'level=debug')"; fi
write_a_config "$extra2" debug
reload_a >/dev/null
mark=$(wc -l <"$log_a")
kill -USR2 "$pid_a"
wait_for 10 bash -c "tail -n +$((mark + 1)) '$log_a' | grep -q 'level=debug'" || e2e_fail "no debug lines after going back to debug"
(($(starts_c) == c_starts)) || e2e_fail "a log change restarted peer_c"
alive_a
echo "ok - log level info then debug applied at once, no peer restarted"

# --- 6. a monitor change refuses the whole reload --------------------------------------------------
write_a_config "$extra1" debug interval
outcome=$(reload_a)
grep -q 'reload rejected.*monitor.mode' <<<"$outcome" || e2e_fail "a monitor change was not refused: $outcome"
sleep 1
[[ $(status_field "s['stunmeshd']['monitor']") == events ]] || e2e_fail "the monitor mode changed"
[[ $(status_field "[x['name'] for x in p['peer_c']['stores']][1]") == "file $extra2" ]] ||
    e2e_fail "part of a refused reload was applied: $(status_field "p['peer_c']['stores']")"
wait_linked C 20
echo "ok - a monitor change refused the reload ($outcome); nothing of that file applied"

# --- 7. a new status file path applies at once ------------------------------------------------------
write_a_config "$extra2" debug
sed -i "s|^status_file: .*|status_file: \"$dir_a/status-moved.json\"|" "$conf_a"
c_starts=$(starts_c)
outcome=$(reload_a)
grep -q 'changed=0 started=0 stopped=0' <<<"$outcome" || e2e_fail "a status_file change restarted peers: $outcome"
wait_for 10 test -s "$dir_a/status-moved.json" || e2e_fail "no status file at the new path"
wait_for 5 bash -c "! test -e '$dir_a/status.json'" || e2e_fail "the old status file was not removed"
(($(starts_c) == c_starts)) || e2e_fail "a status_file change restarted peer_c"
alive_a
echo "ok - status_file moved by SIGHUP: written at the new path, the old one removed"
echo "PASS test_ops_reload ($(e2e_elapsed) s)"
