/// The few words status output is made of: byte counts and state names, the same in the log, the
/// table and the JSON (durations: `DurationText`). Pure.
public enum StatusWords {
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

extension PeerStateMachine.State: CustomStringConvertible {
    /// The state in words, as status shows it ("waiting to retry (read remote)"), so that a log
    /// line never prints Swift's type names.
    public var description: String { StatusWords.state(self) }
}

extension PeerStateMachine.Step: CustomStringConvertible {
    /// The step in words ("read remote").
    public var description: String { StatusWords.stepName(self) }
}
