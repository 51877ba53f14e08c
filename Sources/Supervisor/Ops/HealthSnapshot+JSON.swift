import JSON
import Probes

// The status file's JSON: what `stunmeshd status --json` prints and scripts parse. Times are
// integer Unix seconds, durations integer milliseconds (`_ms`), round trips microseconds
// (`_us`), so every number is exact. docs/operations.md describes the fields and keeps the
// schema's changelog; `HealthSnapshot.schemaVersion` is its one version number.

extension HealthSnapshot {
    /// The status JSON's schema version (`"schema"`): raised whenever a field is removed, renamed
    /// or changes meaning (adding a field does not raise it). docs/operations.md lists each
    /// version's changes. 1: the first release's (no `schema` field); 2: every store of a peer.
    public static let schemaVersion = 2

    /// The snapshot as the status file's JSON object.
    public func json() -> JSONValue {
        .object(leadingMembers + [
            ("peers", .array(peers.map { $0.json(now: takenAt) })),
            ("stores", .array(storeTotals().map { $0.json(now: takenAt, totals: true) })),
        ])
    }

    /// The status file's text: the same bytes as `json().encoded()`, but written a peer at a time,
    /// so that only one peer's tree (Swift's and Jansson's copy of it) exists at once. The whole
    /// tree of a 1,000-peer hub took ~25 MB for a moment every status refresh (10 s), which the
    /// allocator kept: most of the hub's 35 MB resident (massif, docs/benchmarks.md).
    public func encodedJSON() -> String {
        var text = "{"
        for (key, value) in leadingMembers {
            text += JSONValue.string(key).encoded() + ":" + value.encoded() + ","
        }
        text += "\"peers\":["
        for (index, peer) in peers.enumerated() {
            if index > 0 { text += "," }
            text += peer.json(now: takenAt).encoded()
        }
        text += "],\"stores\":" + JSONValue.array(storeTotals().map { $0.json(now: takenAt, totals: true) }).encoded() + "}"
        return text
    }

    /// Every member before the peers and the stores, in order.
    private var leadingMembers: [(String, JSONValue)] {
        [
            ("schema", .number(Double(Self.schemaVersion))),
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
        ]
    }

    /// Each plugin's accounts summed over the peers using it, in order of first use, with the
    /// store's own usage (shared by those peers, so taken once).
    func storeTotals() -> [StoreHealth] {
        var order: [String] = []
        var byPlugin: [String: StoreHealth] = [:]
        for store in peers.flatMap(\.stores) {
            if var total = byPlugin[store.plugin] {
                total.account.add(store.account)
                byPlugin[store.plugin] = total
            } else {
                order.append(store.plugin)
                byPlugin[store.plugin] = store
            }
        }
        return order.compactMap { byPlugin[$0] }
    }
}

extension StoreHealth {
    /// One store's JSON: the account (per peer, or summed over peers with `totals`) and usage.
    func json(now: Double, totals: Bool = false) -> JSONValue {
        let a = account
        func perOperation(_ value: (StoreAccount.Counts) -> JSONValue) -> JSONValue {
            .object(StoreAccount.Operation.allCases.map { ($0.rawValue, value(a[$0])) })
        }
        var members: [(String, JSONValue)] = [
            ("plugin", .string(plugin)), ("name", .string(store)),
            ("healthy", .bool(isHealthy)),
            ("calls", perOperation { .number(Double($0.calls)) }),
            ("errors", perOperation { .number(Double($0.failures)) }),
            ("latency_ms", perOperation { c in
                .object([("last", c.lastLatency.map(millis) ?? .null), ("mean", c.meanLatency.map(millis) ?? .null),
                         ("max", c.ended > 0 ? millis(c.latencyMax) : .null)])
            }),
            ("calls_last_5m", .number(Double(a.callsInWindow(before: now)))),
            ("last_success", a.lastSuccess.map(time) ?? .null),
            ("last_error", a.lastError.map { .string($0) } ?? .null),
            ("last_error_at", a.lastErrorAt.map(time) ?? .null),
            ("writes", .number(Double(a.writes))), ("writes_skipped", .number(Double(a.writesSkipped))),
        ]
        if !totals {
            members.insert(("consecutive_failures", .number(Double(a.consecutiveFailures))), at: 3)
            members.append(("last_write", a.lastWrite.map(time) ?? .null))
        }
        if let pacing {
            members.append(("read_pacing", .object([
                ("burst", .number(pacing.budget.burst)),
                ("per_minute", .number((pacing.budget.perMinute * 100).rounded() / 100)),
                ("tokens", .number((pacing.tokens * 10).rounded(.down) / 10)),
                ("delayed", .number(Double(pacing.delayed))),
                ("delay_ms", millis(pacing.delaySum)),
            ])))
        }
        if let requests = usage.requests { members.append(("requests", .number(Double(requests)))) }
        if let budget = usage.budget {
            members.append(("budget", .object([
                ("used", .number(Double(budget.used))), ("limit", .number(Double(budget.limit))),
                ("window_s", .number(budget.window.rounded())),
                ("blocked_for_s", budget.blockedFor.map { .number($0.rounded(.up)) } ?? .null),
            ])))
        }
        return .object(members)
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
        if let learner = keepalive {
            let phase: String
            switch learner.phase {
            case .fixed: phase = "fixed"
            case .following: phase = "following"
            case .waiting: phase = "waiting"
            case .testing: phase = "testing"
            case .learned: phase = "learned"
            }
            var testing: JSONValue = .null
            if case .testing(let silence) = learner.phase { testing = .number(silence.rounded()) }
            members.append(("keepalive", .object([
                ("role", .string(learner.fixedKeepalive != nil ? "config" : learner.leads ? "leader" : "follower")),
                ("phase", .string(phase)),
                ("chosen_s", learner.chosen > 0 ? .number(Double(learner.chosen)) : .null),
                ("proven_idle_s", learner.proven.map { .number($0.rounded(.down)) } ?? .null),
                ("refuted_idle_s", learner.refuted.map { .number($0.rounded(.up)) } ?? .null),
                ("testing_idle_s", testing),
            ])))
        }
        members += [
            ("ping", .object([
                ("target", pingTarget.map { .string("\($0)") } ?? .null),
                ("sent", .number(Double(ping.sent))),
                ("answered", .number(Double(ping.answered))),
                ("loss_percent", ping.lossPercent.map { .number(Double($0)) } ?? .null),
                ("recent", .object([
                    ("window_probes", .number(Double(PingTally.window))),
                    ("probes", .number(Double(ping.recent.probes))),
                    ("answered", .number(Double(ping.recent.answered))),
                    ("loss_percent", ping.recent.lossPercent.map { .number(Double($0)) } ?? .null),
                ])),
                ("rtt_us", ping.lastRTT.map(micros) ?? .null),
            ])),
            ("nat", .object(nat.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.rawValue, .string($0.value.statusName)) })),
            ("direct_path", directPath.map { outlook in
                .object([("outlook", .string(outlook.statusName)), ("why", .string(outlook.description)),
                         ("what_to_do", .string(outlook.advice))])
            } ?? .null),
            ("stun", .array(history.mappings.map { m in
                .object([("server", .string("\(m.server)")), ("mapped", .string("\(m.mapped)")),
                         ("rtt_us", micros(m.rtt)), ("at", time(m.at))])
            })),
            ("stores", .array(stores.map { $0.json(now: now) })),
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
