/// How long one repair took, from the probe's failure signal to the path working again, split
/// into phases so an operator sees where the time went. Seconds; a phase that did not happen
/// (no publish because our mapping had not moved, recovery before the record was read) is nil.
public struct RestoreTiming: Equatable, Sendable {
    /// The signal that started the repair ("ping", "rx-stall", "manual", …).
    public var signal: String
    /// Wall-clock time of the signal.
    public var startedAt: Double
    /// Signal → recovered: what the time-to-restore histogram counts.
    public var total: Double
    /// Last rx seen → signal: how long the probes took to notice.
    public var detect: Double?
    /// Signal → STUN mapping.
    public var discover: Double?
    /// Mapping → our record stored.
    public var publish: Double?
    /// Record stored (or mapping) → the peer's record read (the last read of the repair).
    public var awaitRemote: Double?
    /// Endpoint written (or record read) → recovered: WireGuard's handshake and first traffic.
    public var handshake: Double?

    /// A timing from its parts.
    public init(signal: String, startedAt: Double, total: Double, detect: Double? = nil, discover: Double? = nil,
                publish: Double? = nil, awaitRemote: Double? = nil, handshake: Double? = nil) {
        self.signal = signal
        self.startedAt = startedAt
        self.total = total
        self.detect = detect
        self.discover = discover
        self.publish = publish
        self.awaitRemote = awaitRemote
        self.handshake = handshake
    }
}

/// Times the repair in progress from the milestones the runtime reports; pure. The first signal
/// starts it (later ones during the same repair do not restart it); the first mapping and
/// publish and the last record read and endpoint write before recovery mark the phases.
public struct RestoreClock: Equatable, Sendable {
    private var signal: String?
    private var startedAt = 0.0
    private var lastGood: Double?
    private var discovered: Double?
    private var published: Double?
    private var remoteRead: Double?
    private var configured: Double?

    /// No repair in progress.
    public init() {}

    /// Whether a repair is being timed.
    public var inProgress: Bool { signal != nil }

    /// A probe said the path failed at `now`; `lastGood` is when rx last grew before it.
    public mutating func pathFailed(_ signal: String, at now: Double, lastGood: Double?) {
        guard self.signal == nil else { return }
        self = RestoreClock()
        self.signal = signal
        startedAt = now
        self.lastGood = lastGood
    }

    /// STUN gave our mapping.
    public mutating func discovered(at now: Double) {
        if inProgress && discovered == nil { discovered = now }
    }

    /// Our record was stored.
    public mutating func published(at now: Double) {
        if inProgress && published == nil { published = now }
    }

    /// The peer's record was read and opened.
    public mutating func remoteRead(at now: Double) {
        if inProgress { remoteRead = now }
    }

    /// An endpoint was written to WireGuard.
    public mutating func configured(at now: Double) {
        if inProgress { configured = now }
    }

    /// The path works again: the finished timing, or nil when no repair was being timed.
    public mutating func recovered(at now: Double) -> RestoreTiming? {
        guard let signal else { return nil }
        defer { self = RestoreClock() }
        func span(_ from: Double?, _ to: Double?) -> Double? {
            guard let from, let to else { return nil }
            return max(0, to - from)
        }
        let anchor = [configured, remoteRead].compactMap { $0 }.max()
        return RestoreTiming(signal: signal, startedAt: startedAt, total: max(0, now - startedAt),
                             detect: lastGood.flatMap { $0 <= startedAt ? startedAt - $0 : nil },
                             discover: span(startedAt, discovered), publish: span(discovered, published),
                             awaitRemote: span(published ?? discovered, remoteRead),
                             handshake: span(anchor, now))
    }
}
