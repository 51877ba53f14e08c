/// The Prometheus text exposition (format 0.0.4) of a health snapshot, for node_exporter's
/// textfile collector (config `metrics_file`): per-peer up, time-to-restore histogram, restores,
/// probe failures by signal, store calls and errors, STUN round trips. Pure.
public enum MetricsText {
    /// The whole file.
    public static func render(_ snapshot: HealthSnapshot) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, [(String, String)], Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (suffix, labels, value) in samples {
                out += name + suffix + labelText(labels) + " " + number(value) + "\n"
            }
        }
        let peers = snapshot.peers
        func peerLabels(_ p: PeerHealth) -> [(String, String)] { [("interface", p.interface), ("peer", p.name)] }

        family("stunmeshd_peer_up", "gauge",
               "1 if WireGuard shows a handshake younger than 180 s and data received within the keepalive window.",
               peers.map { ("", peerLabels($0), $0.liveness(now: snapshot.takenAt).up ? 1 : 0) })
        family("stunmeshd_keepalive_seconds", "gauge",
               "The persistent keepalive the daemon chose for the peer (learned from the NATs, or the config's).",
               peers.compactMap { p in p.keepalive.flatMap { $0.chosen > 0 ? ("", peerLabels(p), Double($0.chosen)) : nil } })
        family("stunmeshd_keepalive_proven_idle_seconds", "gauge",
               "The longest idle time the peer flow was proven to survive through both NATs (the leader's learning).",
               peers.compactMap { p in p.keepalive?.proven.map { ("", peerLabels(p), $0.rounded(.down)) } })
        family("stunmeshd_restore_duration_seconds", "histogram",
               "Time from a probe's failure signal to the path working again.",
               peers.flatMap { p -> [(String, [(String, String)], Double)] in
                   let h = p.history.restores
                   let buckets = zip(RestoreHistogram.bounds, h.cumulativeCounts).map {
                       ("_bucket", peerLabels(p) + [("le", number($0))], Double($1))
                   }
                   return buckets + [("_bucket", peerLabels(p) + [("le", "+Inf")], Double(h.count)),
                                     ("_sum", peerLabels(p), h.sum), ("_count", peerLabels(p), Double(h.count))]
               })
        family("stunmeshd_restores_total", "counter", "Repairs that ended with the path working again.",
               peers.map { ("", peerLabels($0), Double($0.history.restores.count)) })
        family("stunmeshd_probe_failures_total", "counter", "Failure signals that started or joined a repair, by signal.",
               peers.flatMap { p in
                   p.history.probeFailures.sorted { $0.key < $1.key }.map { ("", peerLabels(p) + [("signal", $0.key)], Double($0.value)) }
               })
        /// One sample per peer, store and operation.
        func perStore(_ suffix: String = "", _ value: @escaping (StoreAccount.Counts) -> Double) -> [(String, [(String, String)], Double)] {
            peers.flatMap { p in
                p.stores.flatMap { s in
                    StoreAccount.Operation.allCases.map { op in
                        (suffix, peerLabels(p) + [("store", s.plugin), ("operation", op.rawValue)], value(s.account[op]))
                    }
                }
            }
        }
        family("stunmeshd_store_calls_total", "counter", "Store operations started, by plugin and operation.",
               perStore { Double($0.calls) })
        family("stunmeshd_store_errors_total", "counter", "Store operations that failed, by plugin and operation.",
               perStore { Double($0.failures) })
        family("stunmeshd_store_latency_seconds", "summary", "Time store operations took until their answer or timeout.",
               perStore("_sum") { $0.latencySum } + perStore("_count") { Double($0.ended) })
        family("stunmeshd_store_budget_used", "gauge", "API calls of the store's budget used in its window (stores with a budget).",
               snapshot.storeTotals().compactMap { s in s.usage.budget.map { ("", [("store", s.plugin)], Double($0.used)) } })
        family("stunmeshd_store_budget_limit", "gauge", "API calls the store's budget allows in its window.",
               snapshot.storeTotals().compactMap { s in s.usage.budget.map { ("", [("store", s.plugin)], Double($0.limit)) } })
        family("stunmeshd_store_reads_delayed_total", "counter",
               "Store reads that waited for the store's read budget (its pacer, shared by its peers).",
               snapshot.storeTotals().compactMap { s in s.pacing.map { ("", [("store", s.plugin)], Double($0.delayed)) } })
        family("stunmeshd_store_read_budget_per_minute", "gauge", "Reads per minute the store's pacer allows in the long run.",
               snapshot.storeTotals().compactMap { s in s.pacing.map { ("", [("store", s.plugin)], $0.budget.perMinute) } })
        family("stunmeshd_stun_rtt_seconds", "gauge", "Round trip of the last STUN Binding answered, by server.",
               peers.flatMap { p in p.history.mappings.map { ("", peerLabels(p) + [("server", "\($0.server)")], $0.rtt) } })
        family("stunmeshd_ping_recent_loss_ratio", "gauge",
               "Share of the last \(PingTally.window) probes through the tunnel that went unanswered (stunmeshd_ping_recent_probes of them).",
               peers.compactMap { p in p.ping.recent.lossPercent.map { ("", peerLabels(p), Double($0) / 100) } })
        family("stunmeshd_ping_recent_probes", "gauge", "How many probes stunmeshd_ping_recent_loss_ratio covers.",
               peers.map { ("", peerLabels($0), Double($0.ping.recent.probes)) })
        family("stunmeshd_nat_symmetric", "gauge",
               "1 when STUN found the NAT in front of the peer's WireGuard port symmetric (it maps per destination), by family.",
               peers.flatMap { p in p.nat.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                   ("", peerLabels(p) + [("family", $0.key.rawValue)], $0.value == .symmetric ? 1 : 0)
               } })
        family("stunmeshd_direct_path_blocked", "gauge",
               "1 when the NATs' behaviour says a direct path to the peer is impossible or likely impossible (status says what to do).",
               peers.map { p in ("", peerLabels(p) + [("outlook", p.directPath?.statusName ?? "possible")], p.directPath == nil ? 0 : 1) })
        return out
    }

    /// `{a="x",b="y"}`, or nothing without labels; values escaped as the format requires.
    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A sample value or bucket bound: integral values without a fraction ("1", "0.5", "1e-06"
    /// as Swift writes it otherwise).
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return "\(Int64(value))" }
        return "\(value)"
    }
}
