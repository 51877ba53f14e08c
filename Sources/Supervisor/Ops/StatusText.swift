import JSON
import SystemCalls

/// The status file's JSON as a table for people, in the spirit of `wg show`: one block per
/// interface, one per peer. Rendered from the JSON (not the live objects) so that SIGUSR1's log
/// and `stunmeshd status` print the same thing. Pure; fields missing from the JSON are skipped.
public enum StatusText {
    /// The table; `now` is the reader's wall-clock time (for "ago").
    /// Which peers get their details.
    public enum Detail: Equatable, Sendable {
        /// Every peer up to `detailLimit` peers; beyond that a summary (the health dump, `status`).
        case automatic
        /// Every peer (`status -all`).
        case all
        /// This one (`status -peer NAME`).
        case peer(String)
    }

    /// Beyond this many peers `status` and the health dump print a summary, not every peer.
    public static let detailLimit = 20
    /// Names listed per group in the summary.
    public static let namesPerGroup = 10

    public static func render(_ status: JSONValue, now: Double, detail: Detail = .automatic) -> String {
        var lines: [String] = []
        let daemon = status["stunmeshd"]
        let summary = status["summary"]
        var head = "stunmeshd \(daemon?["version"]?.stringValue ?? "?") (pid \(daemon?["pid"]?.intValue ?? 0))"
        if let started = daemon?["started_at"]?.numberValue { head += ", running for \(DurationText.age(now - started))" }
        head += ": \(summary?["up"]?.intValue ?? 0)/\(summary?["peers"]?.intValue ?? 0) peers up"
        lines.append(head)
        var facts: [String] = []
        if let written = daemon?["written_at"]?.numberValue { facts.append("status of \(ago(written, now))") }
        if let file = daemon?["config_file"]?.stringValue { facts.append("config \(file)") }
        if let mode = daemon?["monitor"]?.stringValue { facts.append("monitor \(mode)") }
        if !facts.isEmpty { lines.append(facts.joined(separator: ", ")) }

        let peers = status["peers"]?.arrayValue ?? []
        if detail == .automatic, peers.count > detailLimit {
            lines += summaryLines(peers)
            return lines.joined(separator: "\n") + "\n"
        }
        var currentInterface: String?
        for peer in peers {
            if case .peer(let name) = detail, peer["peer"]?.stringValue != name { continue }
            let interface = peer["interface"]?.stringValue ?? "?"
            if interface != currentInterface {
                lines.append("")
                lines.append("interface: \(interface)")
                currentInterface = interface
            }
            lines.append("")
            lines += peerLines(peer, now: now).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Many peers: how many are in each condition, the names of those not up first (a few per
    /// group), and how to see one.
    static func summaryLines(_ peers: [JSONValue]) -> [String] {
        var groups: [(key: String, names: [String])] = []
        func add(_ key: String, _ name: String) {
            if let index = groups.firstIndex(where: { $0.key == key }) { groups[index].names.append(name) } else { groups.append((key, [name])) }
        }
        for peer in peers {
            let name = "\(peer["interface"]?.stringValue ?? "?")/\(peer["peer"]?.stringValue ?? "?")"
            let up = peer["up"]?.boolValue == true
            var state = (peer["state"]?.stringValue ?? "?").replacingOccurrences("_", with: " ")
            if let detail = peer["state_detail"]?.stringValue { state += " (\(detail))" }
            if peer["repairing"]?.stringValue != nil { state = "repairing" }
            add(up ? "up" : "not up: \(state)", name)
        }
        groups.sort { ($0.key == "up" ? 1 : 0, $1.names.count) < ($1.key == "up" ? 1 : 0, $0.names.count) }
        var lines = ["", "\(peers.count) peers (details of one: stunmeshd status -peer NAME; of all: -all):"]
        for group in groups {
            var text = "  \(group.names.count) \(group.key)"
            if group.key != "up" || group.names.count <= namesPerGroup {
                let shown = group.names.prefix(namesPerGroup).map { String($0.split(separator: "/", maxSplits: 1).last ?? "") }
                text += ": " + shown.joined(separator: ", ") + (group.names.count > namesPerGroup ? ", …" : "")
            }
            lines.append(text)
        }
        return lines
    }

    static func peerLines(_ peer: JSONValue, now: Double) -> [String] {
        var lines = ["peer: \(peer["peer"]?.stringValue ?? "?") (\(peer["public_key"]?.stringValue ?? "?"))"]
        func add(_ label: String, _ text: String?) { if let text { lines.append("  \(label): \(text)") } }

        let up = peer["up"]?.boolValue == true
        add("up", "\(up ? "yes" : "NO") (\(peer["up_reason"]?.stringValue ?? ""))")
        if let state = peer["state"]?.stringValue {
            var text = state.replacingOccurrences("_", with: " ")
            if let detail = peer["state_detail"]?.stringValue { text += " (\(detail))" }
            if let since = peer["state_since"]?.numberValue { text += " for \(DurationText.age(now - since))" }
            if let reason = peer["last_transition"]?["reason"]?.stringValue { text += ", after: \(reason)" }
            add("state", text)
        }
        if let repairing = peer["repairing"]?.stringValue { add("repairing", "since \(repairing)") }
        add("endpoint", endpointText(peer["endpoint"], now: now) ?? peer["wireguard"]?["endpoint"]?.stringValue ?? "(none)")
        add("previous endpoint", endpointText(peer["previous_endpoint"], now: now))
        if let record = peer["record_endpoint"]?.stringValue, record != peer["endpoint"]?["address"]?.stringValue {
            add("peer's record", record)
        }
        let wg = peer["wireguard"]
        if let error = wg?["error"]?.stringValue {
            add("wireguard", error)
        } else if let wg {
            add("latest handshake", wg["last_handshake"]?.numberValue.map { ago($0, now) } ?? "(none)")
            if let rx = wg["rx_bytes"]?.numberValue, let tx = wg["tx_bytes"]?.numberValue {
                add("transfer", "\(StatusWords.bytes(UInt64(rx))) received, \(StatusWords.bytes(UInt64(tx))) sent")
            }
            if let keepalive = wg["persistent_keepalive"]?.intValue, keepalive > 0 {
                add("persistent keepalive", "every \(keepalive) seconds" + Self.keepaliveWhy(peer["keepalive"]))
            }
        }
        if let ping = peer["ping"], let target = ping["target"]?.stringValue {
            var text = target
            if let rtt = ping["rtt_us"]?.numberValue { text += ", rtt \(DurationText.precise(rtt / 1e6))" }
            let recent = ping["recent"]
            if let loss = recent?["loss_percent"]?.intValue, let probes = recent?["probes"]?.intValue {
                text += ", loss \(loss)% of the last \(probes) (\(recent?["answered"]?.intValue ?? 0) answered)"
            }
            if let loss = ping["loss_percent"]?.intValue {
                text += ", \(loss)% since start (\(ping["answered"]?.intValue ?? 0)/\(ping["sent"]?.intValue ?? 0))"
            }
            add("ping", text)
        }
        let nat = (peer["nat"]?.objectValue ?? []).map { "\($0.0) \($0.1.stringValue?.replacingOccurrences("_", with: "-") ?? "?")" }
        if !nat.isEmpty { add("our NAT", nat.joined(separator: ", ")) }
        if let direct = peer["direct_path"], let why = direct["why"]?.stringValue {
            add("direct path", why)
            if let advice = direct["what_to_do"]?.stringValue { add("what to do", advice) }
        }
        for stun in peer["stun"]?.arrayValue ?? [] {
            var text = "\(stun["server"]?.stringValue ?? "?") sees \(stun["mapped"]?.stringValue ?? "?")"
            if let rtt = stun["rtt_us"]?.numberValue { text += " (rtt \(DurationText.precise(rtt / 1e6))" }
            if let at = stun["at"]?.numberValue { text += ", \(ago(at, now)))" } else { text += ")" }
            add("stun", text)
        }
        for store in peer["stores"]?.arrayValue ?? [] { add("store", storeText(store, now: now)) }
        if let signal = peer["last_signal"], let name = signal["signal"]?.stringValue {
            add("last signal", "\(name), \(signal["at"]?.numberValue.map { ago($0, now) } ?? "?")")
        }
        if let restore = peer["last_restore"], restore != .null { add("last restore", restoreText(restore, now: now)) }
        if let count = peer["restores"]?["count"]?.intValue, count > 0 { add("restores", "\(count)") }
        return lines
    }

    /// Why the keepalive is what it is (the learner's phase and bounds), for the keepalive line.
    static func keepaliveWhy(_ keepalive: JSONValue?) -> String {
        guard let keepalive, let phase = keepalive["phase"]?.stringValue else { return "" }
        let proven = keepalive["proven_idle_s"]?.intValue, refuted = keepalive["refuted_idle_s"]?.intValue
        var bounds = ""
        if let proven { bounds += "open after \(proven) s idle" }
        if let refuted { bounds += (bounds.isEmpty ? "" : ", ") + "closed after \(refuted) s" }
        switch phase {
        case "fixed": return " (from the config)"
        case "following": return " (following the peer, which leads the keepalive)"
        case "learned": return " (learned: the NATs keep the flow " + bounds + ")"
        case "testing":
            let idle = keepalive["testing_idle_s"]?.intValue.map { "testing \($0) s idle" } ?? "testing"
            return " (learning: " + idle + (bounds.isEmpty ? "" : "; " + bounds) + ")"
        default: return bounds.isEmpty ? " (learning)" : " (learning: " + bounds + ")"
        }
    }

    static func endpointText(_ endpoint: JSONValue?, now: Double) -> String? {
        guard let endpoint, let address = endpoint["address"]?.stringValue else { return nil }
        var text = "\(address) (\(endpoint["origin"]?.stringValue ?? "?")"
        if let since = endpoint["since"]?.numberValue { text += ", since \(ago(since, now))" }
        return text + ")"
    }

    static func storeText(_ store: JSONValue, now: Double) -> String {
        let calls = (store["calls"]?.objectValue ?? []).reduce(0) { $0 + ($1.1.intValue ?? 0) }
        let errors = (store["errors"]?.objectValue ?? []).reduce(0) { $0 + ($1.1.intValue ?? 0) }
        var text = "\(store["plugin"]?.stringValue ?? "?") [\(store["name"]?.stringValue ?? "?")]: \(calls) calls, \(errors) errors"
        if let window = store["calls_last_5m"]?.intValue { text += ", \(window) in the last 5 min" }
        if let ok = store["last_success"]?.numberValue { text += ", last success \(ago(ok, now))" }
        if let failed = store["last_error_at"]?.numberValue {
            text += ", last failure \(ago(failed, now))"
            if let error = store["last_error"]?.stringValue { text += ": \(error)" }
        }
        if let budget = store["budget"], let used = budget["used"]?.intValue, let limit = budget["limit"]?.intValue {
            text += ", budget \(used)/\(limit)"
            if let blocked = budget["blocked_for_s"]?.numberValue { text += " (blocked for \(DurationText.span(blocked)))" }
        }
        return text
    }

    static func restoreText(_ restore: JSONValue, now: Double) -> String {
        func ms(_ key: String) -> String? { restore[key]?.numberValue.map { DurationText.precise($0 / 1000) } }
        var text = "\(ms("total_ms") ?? "?") after \(restore["signal"]?.stringValue ?? "?")"
        if let started = restore["started_at"]?.numberValue { text += " \(ago(started, now))" }
        let phases = [("detect", "detect_ms"), ("discover", "discover_ms"), ("publish", "publish_ms"),
                      ("await", "await_ms"), ("handshake", "handshake_ms")]
            .compactMap { name, key in ms(key).map { "\(name) \($0)" } }
        if !phases.isEmpty { text += " (\(phases.joined(separator: ", ")))" }
        return text
    }

    static func ago(_ time: Double, _ now: Double) -> String {
        "\(DurationText.age(now - time)) ago"
    }
}

