/// Logs that scale with the number of peers (issue #15): a condition that many peers report within
/// a few seconds — a thousand peers publishing at start, a store outage making each of them warn
/// at every retry — is written once, then summarised in one line with a count and a few names,
/// instead of one line per peer. Pure and clock-free: `Logger` asks it about every per-peer line
/// (one with `peer` metadata) at info, notice or warning when the level is info or above; at debug
/// every line is written.
///
/// The first line of a message opens a window of `window` seconds; the same message (same level
/// and text; metadata may differ) from any peer within it is held and counted. When the window
/// ends, one summary line says how many more lines, from how many peers, with the first few peer
/// names. The next occurrence opens a new window. A message that only one peer logs now and then
/// (a repair, a failure) is written as it comes.
public struct LogDigest: Sendable {
    /// Seconds a message's window lasts.
    public static let window = 5.0
    /// Peer names a summary shows.
    public static let examples = 3

    /// A summary of the lines held in one window.
    public struct Summary: Equatable, Sendable {
        /// The level and message held.
        public var level: Logger.Level
        public var message: String
        /// Lines held, and the distinct peers they came from.
        public var lines: Int
        public var peers: Int
        /// The first few of those peers.
        public var examples: [String]
    }

    private struct Key: Hashable {
        var level: Logger.Level
        var message: String
    }

    private struct Group {
        var opened: Double
        var lines = 0
        var peers: Set<String> = []
        var examples: [String] = []
    }

    private var groups: [Key: Group] = [:]

    /// No window open.
    public init() {}

    /// Whether the line (`level`, `message`, from `peer`) is written now; false: it is held for
    /// its window's summary.
    public mutating func admit(level: Logger.Level, message: String, peer: String, now: Double) -> Bool {
        let key = Key(level: level, message: message)
        guard var group = groups[key], now < group.opened + Self.window else {
            groups[key] = Group(opened: now)
            return true
        }
        group.lines += 1
        if group.peers.insert(peer).inserted, group.examples.count < Self.examples { group.examples.append(peer) }
        groups[key] = group
        return false
    }

    /// When the next window with held lines ends; nil when none holds any.
    public var nextDue: Double? {
        groups.values.filter { $0.lines > 0 }.map { $0.opened + Self.window }.min()
    }

    /// The summaries of the windows that ended by `now` and held lines (oldest first); those
    /// windows close. Windows that ended without holding anything close silently.
    public mutating func due(now: Double) -> [Summary] {
        var out: [(opened: Double, summary: Summary)] = []
        for (key, group) in groups where now >= group.opened + Self.window {
            groups[key] = nil
            guard group.lines > 0 else { continue }
            out.append((group.opened, Summary(level: key.level, message: key.message, lines: group.lines,
                                              peers: group.peers.count, examples: group.examples)))
        }
        return out.sorted { $0.opened < $1.opened }.map(\.summary)
    }
}
