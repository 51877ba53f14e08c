/// A peer's probes through the tunnel, for status: totals since start and the outcomes of the
/// last `window` probes, so that "loss" says both what the path does now and what it did over
/// the daemon's life (a day-old burst of loss must not read as today's). Pure; the runtime feeds
/// it as probes go out and come back.
public struct PingTally: Equatable, Sendable {
    /// How many of the newest outcomes `recent` covers.
    public static let window = 20

    /// Probes sent since start.
    public private(set) var sent = 0
    /// Probes answered since start.
    public private(set) var answered = 0
    /// The last answer's round trip, seconds.
    public private(set) var lastRTT: Double?
    /// The newest outcomes (true: answered), oldest first, at most `window`.
    public private(set) var outcomes: [Bool] = []

    /// An empty tally.
    public init() {}

    /// A probe went out.
    public mutating func noteSent() { sent += 1 }

    /// A probe was answered after `rtt` seconds.
    public mutating func noteAnswered(rtt: Double) {
        answered += 1
        lastRTT = rtt
        note(true)
    }

    /// A probe went unanswered (timed out or could not be sent).
    public mutating func noteUnanswered() { note(false) }

    private mutating func note(_ outcome: Bool) {
        outcomes.append(outcome)
        if outcomes.count > Self.window { outcomes.removeFirst(outcomes.count - Self.window) }
    }

    /// Loss since start, percent, rounded; nil before the first probe.
    public var lossPercent: Int? {
        sent > 0 ? Int((Double(sent - answered) * 100 / Double(sent)).rounded()) : nil
    }

    /// The last `window` outcomes: how many, how many answered, and the loss in percent (nil when
    /// there is none).
    public var recent: (probes: Int, answered: Int, lossPercent: Int?) {
        let answered = outcomes.filter { $0 }.count
        let loss = outcomes.isEmpty ? nil : Int((Double(outcomes.count - answered) * 100 / Double(outcomes.count)).rounded())
        return (outcomes.count, answered, loss)
    }
}
