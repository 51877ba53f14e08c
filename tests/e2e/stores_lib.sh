# shellcheck shell=bash
# tests/e2e/stores_lib.sh — real stores for the end-to-end tests, on top of lib.sh (source lib.sh
# first, then this, then call topo_two_nats):
#
#   start_opendht              two dhtnode instances with HTTP proxies in inet (203.0.113.1:8080/8081)
#   start_fake_cloudflare      tests/support/fake_cloudflare.py in inet (203.0.113.1:<port>)
#   cloudflare_control JSON    switch the stand-in's mode (ok, error, 429, slow, …)
#   write_store_config PEER OTHER PEER_STORES PLUGINS_YAML   a config naming these stores
#   maps_libcurl PID…          the daemons (HTTP stores) have libcurl mapped
#
# Both servers run inside the run's inet namespace, so cleanup kills them with everything else.

E2E_DHT_PROXIES=("http://$E2E_STUN1:8080" "http://$E2E_STUN1:8081")
E2E_CF_URL=""          # the Cloudflare stand-in's API base, set by start_fake_cloudflare
E2E_CF_TOKEN="e2e-token-5f1c"

## http_in NODE METHOD URL [BODY] — one HTTP request from inside NODE's namespace (tests/e2e/http_call.py).
http_in() {
    local node=$1
    shift
    in_ns "$node" "$E2E_PYTHON" -I "$E2E_DIR/http_call.py" "$@"
}

## start_opendht — a two-node OpenDHT network with both HTTP proxies in inet: a lone node answers
## 502 to puts, so the second bootstraps from the first. Waits until a put through the first proxy
## is accepted.
start_opendht() {
    local dir="$E2E_RUN/opendht"
    mkdir -p "$dir"
    in_ns inet dhtnode -s -p 4222 --proxyserver 8080 </dev/null >"$dir/node1.log" 2>&1 &
    in_ns inet dhtnode -s -p 4223 -b 127.0.0.1:4222 --proxyserver 8081 </dev/null >"$dir/node2.log" 2>&1 &
    local probe
    probe="${E2E_DHT_PROXIES[0]}/key/$(printf '5a%.0s' {1..20})"
    wait_for 30 http_in inet POST "$probe" '{"data":"d2FybS11cA=="}' ||
        e2e_fail "the two dhtnodes never accepted a put through ${E2E_DHT_PROXIES[0]}"
    e2e_log "OpenDHT up: proxies ${E2E_DHT_PROXIES[*]}"
}

## start_fake_cloudflare — the local stand-in for Cloudflare's v4 API on 203.0.113.1 in inet, zone
## example.com, token $E2E_CF_TOKEN; sets E2E_CF_URL.
start_fake_cloudflare() {
    local dir="$E2E_RUN/cloudflare"
    mkdir -p "$dir"
    in_ns inet "$E2E_PYTHON" -I "$E2E_ROOT/tests/support/fake_cloudflare.py" --host "$E2E_STUN1" \
        --port-file "$dir/port" --token "$E2E_CF_TOKEN" >"$dir/server.log" 2>&1 &
    wait_for 10 test -s "$dir/port" || e2e_fail "the Cloudflare stand-in did not start"
    E2E_CF_URL="http://$E2E_STUN1:$(cat "$dir/port")/client/v4"
    e2e_log "Cloudflare stand-in up: $E2E_CF_URL"
}

## cloudflare_control JSON — POST /__control to the stand-in (e.g. '{"mode":"error"}').
cloudflare_control() {
    http_in inet POST "${E2E_CF_URL%/client/v4}/__control" "$1" >/dev/null
}

## cloudflare_calls — the API calls the stand-in received, as a JSON list.
cloudflare_calls() {
    http_in inet GET "${E2E_CF_URL%/client/v4}/__calls"
}

## exec_store_plugin_yaml DIR — the plugins: entry ("  store: {…}") of an exec store kept in DIR
## (bench/exec_store.py: stunmesh-go's exec protocol, a file per key, every call logged to
## DIR/calls.log, so a benchmark counts both daemons' calls); makes DIR.
exec_store_plugin_yaml() {
    mkdir -p "$1"
    echo "  store: { type: exec, command: \"$E2E_PYTHON\", args: [\"-I\", \"$E2E_ROOT/bench/exec_store.py\", \"$1\"] }"
}

## opendht_plugin_yaml [REPUBLISH] — the `opendht` builtin over both proxies.
opendht_plugin_yaml() {
    echo "{ type: builtin, name: opendht, endpoints: [\"${E2E_DHT_PROXIES[0]}\", \"${E2E_DHT_PROXIES[1]}\"], timeout: 5s, republish_interval: ${1:-5m} }"
}

## cloudflare_plugin_yaml — the `cloudflare` builtin pointed at the stand-in.
cloudflare_plugin_yaml() {
    echo "{ type: builtin, name: cloudflare, zone: example.com, subdomain: wg, token: \"$E2E_CF_TOKEN\", api_url: \"$E2E_CF_URL\" }"
}

## write_store_config PEER OTHER PEER_STORES PLUGINS — like write_stunmesh_config, with the peer's
## store key given (`plugin: dht` or `plugins: [cf, dht]`) and the plugins: entries as YAML lines
## ("  dht: {…}"); prints the config's path. E2E_REFRESH and E2E_KEEPALIVE tune it as there.
write_store_config() {
    local peer=$1 other=$2 stores=$3 plugins=$4
    local file other_name
    file="$(e2e_peer_dir "$peer")/config.yaml"
    other_name="peer_$(echo "$other" | tr '[:upper:]' '[:lower:]')"
    cat >"$file" <<CONFIG
refresh_interval: "${E2E_REFRESH:-10m}"
log: { level: debug }
stun: { addresses: ["$E2E_STUN1:$E2E_STUN_PORT"] }
state_file: "$(e2e_peer_dir "$peer")/replay.json"
interfaces:
  wg0:
    protocol: ipv4
    peers:
      $other_name: { public_key: "$(wg_pubkey "$other")", $stores$(keepalive_field) }
plugins:
$plugins
CONFIG
    echo "$file"
}

## maps_libcurl PID… — fails unless every PID is a stunmeshd that has libcurl mapped: it is loaded at
## run time, for HTTP stores only (test_cli checks that a file-store daemon does not map it).
maps_libcurl() {
    local pid
    for pid in "$@"; do
        is_stunmeshd "$pid" || e2e_fail "pid $pid is not stunmeshd"
        grep -q '/libcurl' "/proc/$pid/maps" || e2e_fail "stunmeshd $pid (HTTP store) has not mapped libcurl"
    done
}

## wait_connected SECONDS PID_A PID_B — until both peers have a handshake and A pings B through the
## tunnel; fails if either daemon exits or SECONDS pass.
wait_connected() {
    local bound=$1 pid_a=$2 pid_b=$3
    local deadline=$((SECONDS + bound))
    until wg_handshake_age A B >/dev/null && wg_handshake_age B A >/dev/null && tunnel_ping A B >/dev/null; do
        kill -0 "$pid_a" 2>/dev/null || e2e_fail "stunmeshd in peerA exited"
        kill -0 "$pid_b" 2>/dev/null || e2e_fail "stunmeshd in peerB exited"
        ((SECONDS < deadline)) || e2e_fail "no handshake and tunnel ping within $bound s" \
            "(A endpoint for B: $(wg_endpoint A B), B endpoint for A: $(wg_endpoint B A))"
        sleep 0.5
    done
}
