/// When WireGuard last received anything from a peer, from successive readings of its rx
/// counter: the ground truth behind "up" in status and behind the end of a repair. Pure; every
/// reading carries its wall-clock time.
public struct RxProgress: Equatable, Sendable {
    /// The counter at the last reading.
    public private(set) var rxBytes: UInt64?
    /// Wall-clock time of the last reading.
    public private(set) var sampledAt: Double?
    /// The last interval in which rx grew: it grew after `after` and had grown by `by`. A
    /// handshake counts as received data at its own time.
    public private(set) var lastAdvance: (after: Double, by: Double)?

    /// Nothing read yet.
    public init() {}

    /// Takes a reading of the rx counter and the last handshake time (0: never) at `now`. A
    /// counter that went down (device re-created) starts over from the new value.
    public mutating func note(rxBytes rx: UInt64, lastHandshake: Double, at now: Double) {
        if let previous = rxBytes, let then = sampledAt, rx > previous {
            lastAdvance = (then, now)
        }
        // The handshake is a receipt known to the second: it narrows (or is) the last advance.
        if lastHandshake > 0, lastHandshake <= now, lastHandshake > (lastAdvance?.after ?? 0) {
            lastAdvance = (lastHandshake, max(lastAdvance?.by ?? 0, lastHandshake))
        }
        rxBytes = rx
        sampledAt = now
    }

    /// Wall-clock time by which rx last grew, if ever seen.
    public var lastAdvanceAt: Double? { lastAdvance?.by }

    /// Whether rx grew strictly after `time` (the whole interval of growth lies after it).
    public func advanced(after time: Double) -> Bool {
        guard let advance = lastAdvance else { return false }
        return advance.after >= time
    }

    /// Equal readings.
    public static func == (lhs: RxProgress, rhs: RxProgress) -> Bool {
        lhs.rxBytes == rhs.rxBytes && lhs.sampledAt == rhs.sampledAt
            && lhs.lastAdvance?.after == rhs.lastAdvance?.after && lhs.lastAdvance?.by == rhs.lastAdvance?.by
    }
}
