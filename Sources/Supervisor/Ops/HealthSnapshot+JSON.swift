import JSON

// The status file's JSON: what `stunmeshd status --json` prints and scripts parse. Times are
// integer Unix seconds, durations integer milliseconds (`_ms`), round trips microseconds
// (`_us`), so every number is exact. docs/operations.md describes the fields.

extension HealthSnapshot {
    /// The snapshot as the status file's JSON object.
    public func json() -> JSONValue {
        .object([
            ("stunmeshd", .object([
                ("version", .string(version)),
                ("pid", .number(Double(pid))),
                ("started_at", time(startedAt)),
                ("written_at", time(takenAt)),
                ("refresh_s", .number(refreshInterval.rounded())),
                ("config_file", configFile.map(JSONValue.string) ?? .null),
                ("monitor", .string(monitorMode)),
            ])),
            ("summary", .object([
                ("peers", .number(Double(peers.count))),
                ("up", .number(Double(upCount))),
                ("text", .string(summary)),
            ])),
            ("peers", .array(peers.map { $0.json(now: takenAt) })),
            ("stores", .array(storeTotals())),
        ])
    }

    /// Each plugin's calls summed over the peers using it, in order of first use.
    private func storeTotals() -> [JSONValue] {
        var order: [String] = []
        var byPlugin: [String: [PeerHealth]] = [:]
        for peer in peers {
            if byPlugin[peer.storePlugin] == nil { order.append(peer.storePlugin) }
            byPlugin[peer.storePlugin, default: []].append(peer)
        }
        return order.map { plugin in
            let users = byPlugin[plugin] ?? []
            var calls: [String: Int] = [:], errors: [String: Int] = [:]
            for stats in users.map(\.storeStats) {
                calls.merge(stats.calls, uniquingKeysWith: +)
                errors.merge(stats.errors, uniquingKeysWith: +)
            }
            let failure = users.compactMap(\.storeStats.lastFailure).max { $0.at < $1.at }
            return .object([
                ("plugin", .string(plugin)),
                ("name", .string(users.first?.storeName ?? plugin)),
                ("calls", .object(calls.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ("errors", .object(errors.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ("calls_last_5m", .number(Double(users.reduce(0) { $0 + $1.storeStats.callsInWindow(before: takenAt) }))),
                ("last_success", users.compactMap(\.storeStats.lastSuccess).max().map(time) ?? .null),
                ("last_failure", failure.map { time($0.at) } ?? .null),
                ("last_error", failure.map { .string($0.error) } ?? .null),
            ])
        }
    }
}

extension PeerHealth {
    /// One peer's JSON object.
    func json(now: Double) -> JSONValue {
        let live = liveness(now: now)
        let (stateName, stateDetail) = StatusWords.stateKey(state)
        var members: [(String, JSONValue)] = [
            ("interface", .string(interface)),
            ("peer", .string(name)),
            ("public_key", .string(publicKey)),
            ("up", .bool(live.up)),
            ("up_reason", .string(live.reason)),
            ("state", .string(stateName)),
            ("state_detail", stateDetail.map(JSONValue.string) ?? .null),
            ("state_since", time(history.stateSince)),
            ("last_transition", history.lastTransition.map { t in
                .object([("from", .string(StatusWords.stateKey(t.from).name)), ("to", .string(StatusWords.stateKey(t.to).name)),
                         ("reason", .string(t.reason)), ("at", time(t.at))])
            } ?? .null),
            ("repairing", repairing.map { .string($0.description) } ?? .null),
            ("last_signal", lastSignal.map { .object([("signal", .string($0.signal.description)), ("at", time($0.at))]) } ?? .null),
            ("endpoint", endpointJSON(history.currentEndpoint)),
            ("previous_endpoint", endpointJSON(history.previousEndpoint)),
            ("record_endpoint", history.recordEndpoint.map { .string("\($0)") } ?? .null),
        ]
        if let wg = wireGuard {
            members.append(("wireguard", .object([
                ("endpoint", wg.endpoint.map { .string("\($0)") } ?? .null),
                ("last_handshake", wg.lastHandshake > 0 ? time(wg.lastHandshake) : .null),
                ("handshake_age_s", wg.lastHandshake > 0 ? .number(max(0, (now - wg.lastHandshake).rounded(.down))) : .null),
                ("rx_bytes", .number(Double(wg.rxBytes))),
                ("tx_bytes", .number(Double(wg.txBytes))),
                ("last_rx_at", history.rx.lastAdvanceAt.map(time) ?? .null),
                ("persistent_keepalive", .number(Double(wg.persistentKeepalive))),
            ])))
        } else {
            members.append(("wireguard", .object([("error", .string(wireGuardError ?? "not configured on the interface"))])))
        }
        members += [
            ("ping", .object([
                ("target", pingTarget.map { .string("\($0)") } ?? .null),
                ("sent", .number(Double(pingSent))),
                ("answered", .number(Double(pingAnswered))),
                ("loss_percent", pingSent > 0 ? .number((Double(pingSent - pingAnswered) * 100 / Double(pingSent)).rounded()) : .null),
                ("rtt_us", pingRTT.map(micros) ?? .null),
            ])),
            ("stun", .array(history.mappings.map { m in
                .object([("server", .string("\(m.server)")), ("mapped", .string("\(m.mapped)")),
                         ("rtt_us", micros(m.rtt)), ("at", time(m.at))])
            })),
            ("store", storeJSON(now: now)),
            ("last_restore", history.lastRestore.map(restoreJSON) ?? .null),
            ("restores", .object([
                ("count", .number(Double(history.restores.count))),
                ("sum_ms", millis(history.restores.sum)),
                ("buckets", .object(zip(RestoreHistogram.bounds, history.restores.cumulativeCounts).map {
                    (MetricsText.number($0), .number(Double($1)))
                })),
            ])),
            ("probe_failures", .object(history.probeFailures.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
        ]
        return .object(members)
    }

    private func storeJSON(now: Double) -> JSONValue {
        let stats = storeStats
        return .object([
            ("plugin", .string(storePlugin)),
            ("name", .string(storeName)),
            ("calls", .object(stats.calls.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
            ("errors", .object(stats.errors.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
            ("calls_last_5m", .number(Double(stats.callsInWindow(before: now)))),
            ("last_success", stats.lastSuccess.map(time) ?? .null),
            ("last_failure", stats.lastFailure.map { time($0.at) } ?? .null),
            ("last_error", stats.lastFailure.map { .string($0.error) } ?? .null),
            ("stores", .array(storeHealth.map(storeHealthJSON))),
        ])
    }

    /// One of the peer's stores: health, writes made and skipped, and Cloudflare's budget.
    private func storeHealthJSON(_ h: StoreHealth) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("plugin", .string(h.plugin)), ("name", .string(h.store)), ("healthy", .bool(h.isHealthy)),
            ("consecutive_failures", .number(Double(h.consecutiveFailures))),
            ("last_success", h.lastSuccess.map(time) ?? .null),
            ("last_error", h.lastError.map { .string($0) } ?? .null),
            ("last_error_at", h.lastErrorAt.map(time) ?? .null),
            ("last_write", h.lastWrite.map(time) ?? .null),
            ("writes", .number(Double(h.writes))), ("writes_skipped", .number(Double(h.writesSkipped))),
        ]
        if let requests = h.requests { members.append(("requests", .number(Double(requests)))) }
        if let budget = h.cloudflareBudget {
            members.append(("cloudflare_budget", .object([
                ("used_last_5m", .number(Double(budget.used))), ("limit", .number(Double(budget.limit))),
                ("blocked_for_s", budget.blockedFor.map { .number($0) } ?? .null),
            ])))
        }
        return .object(members)
    }

    private func endpointJSON(_ seen: PeerHistory.EndpointSeen?) -> JSONValue {
        guard let seen else { return .null }
        return .object([("address", .string("\(seen.endpoint)")), ("origin", .string(seen.origin.rawValue)),
                        ("since", time(seen.since))])
    }

    private func restoreJSON(_ r: RestoreTiming) -> JSONValue {
        .object([
            ("signal", .string(r.signal)),
            ("started_at", time(r.startedAt)),
            ("total_ms", millis(r.total)),
            ("detect_ms", r.detect.map(millis) ?? .null),
            ("discover_ms", r.discover.map(millis) ?? .null),
            ("publish_ms", r.publish.map(millis) ?? .null),
            ("await_ms", r.awaitRemote.map(millis) ?? .null),
            ("handshake_ms", r.handshake.map(millis) ?? .null),
        ])
    }
}

/// Integer Unix seconds.
private func time(_ t: Double) -> JSONValue { .number(t.rounded(.down)) }
/// Integer milliseconds.
private func millis(_ s: Double) -> JSONValue { .number((s * 1000).rounded()) }
/// Integer microseconds.
private func micros(_ s: Double) -> JSONValue { .number((s * 1_000_000).rounded()) }
