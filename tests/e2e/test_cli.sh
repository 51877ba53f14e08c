#!/usr/bin/env bash
# The daemon's contract at its edges, on a real wireguard-go peer behind a NAT:
#  1. a bad config names the key, exits non-zero, and touches nothing in WireGuard;
#  2. a forged record in the store is logged and ignored; WireGuard keeps its endpoint;
#  3. SIGTERM stops the daemon cleanly (exit 0, within seconds) and leaves WireGuard as it was;
#  4. libcurl is not linked (4a, on the binary, comes first): a daemon with the file store never
#     maps it and runs where libcurl cannot be loaded, where one with an HTTP store exits naming the
#     plugin and the loader's error (test_cloudflare and test_opendht check that HTTP-store daemons
#     do map it);
#  5. the static release binary (what scripts/test hands the e2e tests) is linked the way
#     docs/benchmarks.md measured it: no libstdc++.so, libcrypto, libnettle or libz.so, packed
#     relocations, and neither _StringProcessing nor the concurrency runtime inside.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

E2E_STUNMESHD=$(find_stunmeshd) || exit 1

# 4a. Nothing of libcurl's is a DT_NEEDED of the binary, directly or through another library.
command -v readelf >/dev/null || e2e_fail "readelf (binutils) is needed"
curl_libraries='libcurl|libssl|libgnutls|libnghttp2|libldap|libgssapi_krb5|libssh2|librtmp|libpsl'
needed=$(readelf -d "$E2E_STUNMESHD" | grep '(NEEDED)') || e2e_fail "readelf found no NEEDED entry in $E2E_STUNMESHD"
! grep -Eq "\[($curl_libraries)[.-]" <<<"$needed" || e2e_fail "stunmeshd links libcurl or its libraries: $needed"
mapped=$(ldd "$E2E_STUNMESHD")
! grep -Eq "^\s*($curl_libraries)[.-]" <<<"$mapped" || e2e_fail "ldd: stunmeshd pulls in libcurl's libraries: $mapped"
echo "ok - no libcurl, libssl, libgnutls, … among the $(wc -l <<<"$needed") NEEDED entries, nor in ldd's $(wc -l <<<"$mapped") lines"

# 5. The release link's savings, checked on a static release binary (a debug or shared-runtime
# build has none of them, and says so).
if grep -q 'libswiftCore' <<<"$needed"; then
    echo "ok - (skipped: $E2E_STUNMESHD uses the shared Swift runtime; the link checks are for the static release build)"
else
    ! grep -Eq '\[(libstdc\+\+|libcrypto|libssl|libnettle|libz)[.-]' <<<"$needed" ||
        e2e_fail "the static binary needs libstdc++, OpenSSL, nettle or zlib as shared libraries: $needed"
    readelf -d "$E2E_STUNMESHD" | grep -q '(RELR)' || e2e_fail "no packed relative relocations (DT_RELR) in $E2E_STUNMESHD"
    if nm "$E2E_STUNMESHD" >/dev/null 2>&1; then
        ! nm "$E2E_STUNMESHD" | grep -Eq '17_StringProcessing|swift_task_create|dispatch_async' ||
            e2e_fail "_StringProcessing or the concurrency runtime is linked into $E2E_STUNMESHD"
    fi
    echo "ok - static release link: no libstdc++.so, OpenSSL, nettle or zlib.so, DT_RELR, no _StringProcessing or concurrency runtime"
fi
topo_two_nats eim eim
start_stun
start_wg A 10.99.0.1/24
start_wg B 10.99.0.2/24
wg_pair A B

dump() { inpeer A wg showconf wg0 | grep -v '^PrivateKey'; }

# 1. Bad config: a public key that is not a key.
before=$(dump)
bad="$(e2e_peer_dir A)/bad.yaml"
cat >"$bad" <<YAML
interfaces:
  wg0:
    peers:
      peer_b: { public_key: "not-a-key", plugin: store }
plugins:
  store: { type: builtin, name: file, directory: "$E2E_STORE" }
YAML
out=$(inpeer A "$E2E_STUNMESHD" -c "$bad" 2>&1) && rc=0 || rc=$?
((rc != 0)) || e2e_fail "a bad config exited 0"
grep -q 'interfaces.wg0.peers.peer_b.public_key' <<<"$out" || e2e_fail "the error does not name the key: $out"
[[ $(dump) == "$before" ]] || e2e_fail "WireGuard changed after a bad config"
echo "ok - bad config: exit $rc, '$out'"

# 2 and 3: run both daemons until the tunnel is up; a 4 s refresh makes A re-read B's record soon.
conf_a=$(E2E_REFRESH=4s write_stunmesh_config A B)
conf_b=$(write_stunmesh_config B A)
start_stunmeshd A "$conf_a"
pid_a=$E2E_LAST_PID
start_stunmeshd B "$conf_b"
pid_b=$E2E_LAST_PID
wait_for 30 tunnel_ping A B
endpoint=$(wg_endpoint A B)
echo "ok - tunnel up, A's endpoint for B is $endpoint"

# 2. Replace every record in the store with a forgery (hex of random bytes: a nonce and a box
# nobody sealed); A re-reads B's record at its next refresh and must ignore it.
kill -STOP "$pid_b"   # B must not overwrite its record meanwhile
for f in "$E2E_STORE"/*; do
    head -c 80 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"
done
log_a="$(e2e_peer_dir A)/stunmeshd.log"
wait_for 15 grep -q "ignored the peer's record" "$log_a"
kill -CONT "$pid_b"
kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA died on a forged record"
[[ $(wg_endpoint A B) == "$endpoint" ]] || e2e_fail "a forged record changed WireGuard: $(wg_endpoint A B)"
tunnel_ping A B >/dev/null || e2e_fail "the tunnel broke after forged records"
echo "ok - forged record ignored ($(grep -m1 "ignored the peer's record" "$log_a" | grep -o 'msg="[^"]*"')), endpoint kept, tunnel up"

# 3. SIGTERM: exits 0 promptly; WireGuard keeps the endpoint and keepalive it had.
before=$(dump)
kill -TERM "$pid_a"
for _ in $(seq 1 50); do kill -0 "$pid_a" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid_a" 2>/dev/null && e2e_fail "stunmeshd did not stop within 5 s of SIGTERM"
wait "$pid_a" 2>/dev/null && rc=0 || rc=$?
grep -q 'signal received, stopping' "$log_a" || e2e_fail "no clean-stop log line"
[[ $(dump) == "$before" ]] || e2e_fail "WireGuard changed at shutdown"
tunnel_ping A B >/dev/null || e2e_fail "the tunnel broke when the daemon stopped"
echo "ok - SIGTERM: stopped cleanly, WireGuard untouched"

# 4b. B (file store only) has run all along without mapping libcurl.
is_stunmeshd "$pid_b" || e2e_fail "pid $pid_b is not stunmeshd"
! grep -q '/libcurl' "/proc/$pid_b/maps" || e2e_fail "a daemon with only the file store mapped libcurl"
echo "ok - the file-store daemon runs without libcurl mapped"

# 4c. Where libcurl cannot be loaded (/dev/null mounted over it in a private mount namespace): an
# HTTP store is a clear config error, and the file store works (A publishes into a fresh store).
libcurl=$(readlink -f "$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')")
[[ -f $libcurl ]] || e2e_fail "libcurl.so.4 not found with ldconfig -p"
without_libcurl=(unshare -m --propagation private sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"'
                 without_libcurl "$libcurl")
http_conf="$(e2e_peer_dir A)/http.yaml"
cat >"$http_conf" <<YAML
stun: { addresses: ["$E2E_STUN1:$E2E_STUN_PORT"] }
interfaces:
  wg0:
    peers:
      peer_b: { public_key: "$(wg_pubkey B)", plugin: cf }
plugins:
  cf: { type: builtin, name: cloudflare, zone: example.com, token: "t", api_url: "http://127.0.0.1:9/client/v4" }
YAML
out=$(inpeer A "${without_libcurl[@]}" timeout 20 "$E2E_STUNMESHD" -c "$http_conf" 2>&1) && rc=0 || rc=$?
((rc == 1)) || e2e_fail "an HTTP store without libcurl: exit $rc, want 1: $out"
grep -q 'plugins.cf: cannot load libcurl.so.4, which the cloudflare and opendht stores need (install libcurl4): ' <<<"$out" ||
    e2e_fail "the error does not name the plugin and libcurl: $out"
echo "ok - HTTP store without libcurl: exit 1, '$(grep -m1 '^stunmeshd:' <<<"$out")'"
fresh_store="$E2E_RUN/store-without-libcurl"
mkdir -p "$fresh_store"
sed "s#$E2E_STORE#$fresh_store#" "$conf_a" >"$(e2e_peer_dir A)/file-only.yaml"
inpeer_bg A stunmeshd-without-libcurl "${without_libcurl[@]}" "$E2E_STUNMESHD" -c "$(e2e_peer_dir A)/file-only.yaml"
pid_file_only=$E2E_LAST_PID
wait_for 15 bash -c "ls '$fresh_store' | grep -Eq '^[0-9a-f]{40}\$'" || e2e_fail "the file store without libcurl: no record written"
# comm: the binary's file name, cut to 15 characters (a benchmark's copy may be named otherwise).
[[ $(cat "/proc/$pid_file_only/comm") == "$(basename "$E2E_STUNMESHD" | cut -c1-15)" ]] ||
    e2e_fail "the file-store daemon without libcurl is not running"
kill -TERM "$pid_file_only"
wait "$pid_file_only" || e2e_fail "the file-store daemon without libcurl exited $? at SIGTERM"
echo "ok - file store without libcurl: the daemon ran, published $(ls "$fresh_store" | head -1) and stopped cleanly"
echo "PASS test_cli ($(e2e_elapsed) s)"
