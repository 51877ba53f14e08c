/// The few words status output is made of: durations, byte counts and state names, the same in
/// the log, the table and the JSON. Pure.
public enum StatusWords {
    /// "0s", "42s", "3m05s", "2h07m", "4d03h": short and sortable by eye.
    public static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded(.down)))
        let (d, h, m, s) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if d > 0 { return "\(d)d\(two(h))h" }
        if h > 0 { return "\(h)h\(two(m))m" }
        if m > 0 { return "\(m)m\(two(s))s" }
        return "\(s)s"
    }

    /// Round trips and restore phases: "0.8 ms", "42 ms", "2.5 s".
    public static func shortDuration(_ seconds: Double) -> String {
        if seconds < 0.00995 {
            let tenths = Int((seconds * 10000).rounded())
            return "\(tenths / 10).\(tenths % 10) ms"
        }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// Bytes as `wg show` writes them: "148 B", "1.45 KiB", "3.20 MiB".
    public static func bytes(_ count: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard count >= 1024 else { return "\(count) B" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(two(hundredths % 100)) \(units[unit])"
    }

    /// The state for people: "monitoring", "waiting to retry (read remote)", "configuring 1.2.3.4:5".
    public static func state(_ state: PeerStateMachine.State) -> String {
        let (key, detail) = stateKey(state)
        let words = key.replacingOccurrences("_", with: " ")
        return detail.map { "\(words) (\($0))" } ?? words
    }

    /// The state for scripts: a stable snake_case name and its detail (the step waited for, the
    /// endpoint being written).
    public static func stateKey(_ state: PeerStateMachine.State) -> (name: String, detail: String?) {
        switch state {
        case .idle: return ("idle", nil)
        case .discovering: return ("discovering", nil)
        case .publishing: return ("publishing", nil)
        case .awaitingRemote: return ("awaiting_remote", nil)
        case .configuring(let endpoint): return ("configuring", "\(endpoint)")
        case .monitoring: return ("monitoring", nil)
        case .waitingToRetry(let step): return ("waiting_to_retry", stepName(step))
        case .stopped: return ("stopped", nil)
        }
    }

    static func stepName(_ step: PeerStateMachine.Step) -> String {
        switch step {
        case .discover: return "discover"
        case .publish: return "publish"
        case .readRemote: return "read remote"
        case .configure: return "configure"
        }
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension String {
    /// Every `target` replaced by `replacement` (the standard library has no such method
    /// without Foundation).
    func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
