/// Judges the path to one peer from the facts the probes bring: WireGuard's counters and
/// handshake time, and ping results. Pure and clock-free (every sample carries its time), so the
/// rules are tested without WireGuard. It reports a verdict only when the judgement changes:
/// `failed` once at the start of a failure episode, `recovered` once at its end — so a dead
/// path does not flood the state machine.
public struct PathMonitor: Sendable {
    /// A change of judgement.
    public enum Verdict: Equatable, Sendable {
        /// The path broke; this evidence said so first.
        case failed(PathSignal)
        /// Every failing probe sees the path working again.
        case recovered
    }

    /// One reading of WireGuard's view of the peer.
    public struct Sample: Equatable, Sendable {
        /// Wall-clock seconds of the reading.
        public var now: Double
        /// Bytes received from the peer.
        public var rxBytes: UInt64
        /// Bytes sent to the peer.
        public var txBytes: UInt64
        /// Wall-clock seconds of the last handshake; 0 for never.
        public var lastHandshake: Double
        /// Our persistent keepalive in seconds (0: off).
        public var keepalive: Int

        /// A sample from its parts.
        public init(now: Double, rxBytes: UInt64, txBytes: UInt64, lastHandshake: Double, keepalive: Int) {
            self.now = now
            self.rxBytes = rxBytes
            self.txBytes = txBytes
            self.lastHandshake = lastHandshake
            self.keepalive = keepalive
        }
    }

    /// A handshake older than this while we send means the peer is gone (reresolve-dns.sh's
    /// rule; WireGuard rekeys every 120 s on a live path).
    public static let staleHandshake: Double = 135

    /// Whether ping failures count even if no ping was ever answered (an explicitly configured
    /// target); an automatic target counts only after its first answer.
    public let pingIsExplicit: Bool

    private var last: Sample?
    private var lastRxChange: Double?
    private var txAtLastRxChange: UInt64 = 0
    private var pingAnswered = false
    private var pingFailing = false
    private var rxStalled = false
    private var handshakeStale = false

    /// A monitor that has seen nothing yet.
    public init(pingIsExplicit: Bool) {
        self.pingIsExplicit = pingIsExplicit
    }

    /// Whether some probe currently says the path is broken.
    public var isFailing: Bool { pingFailing || rxStalled || handshakeStale }

    /// How long a WireGuard session stays usable after its handshake (REJECT_AFTER_TIME).
    public static let sessionLifetime: Double = 180

    /// Whether a ping may go into the tunnel at `now`: only while the last WireGuard reading shows
    /// a session with the peer (a handshake less than `sessionLifetime` ago). Without one, a ping
    /// is data that makes wireguard-go start a handshake itself: before the endpoint is set that
    /// attempt fails yet blocks the next initiation — the kick — for REKEY_TIMEOUT (5 s), and on
    /// the responder it is the very initiation the roles exist to avoid.
    public func mayPing(now: Double) -> Bool {
        guard let last, last.lastHandshake > 0 else { return false }
        return now - last.lastHandshake < Self.sessionLifetime
    }

    /// Takes a WireGuard reading.
    public mutating func observe(_ sample: Sample) -> Verdict? {
        let wasFailing = isFailing
        defer { last = sample }
        guard let previous = last else {
            lastRxChange = sample.now
            txAtLastRxChange = sample.txBytes
            return nil
        }
        if sample.rxBytes > previous.rxBytes || sample.rxBytes < previous.rxBytes {
            lastRxChange = sample.now
            txAtLastRxChange = sample.txBytes
            rxStalled = false
        }
        if sample.lastHandshake > previous.lastHandshake { handshakeStale = false }
        // Nothing to judge before the path has ever worked: set-up is the machine's business.
        if sample.lastHandshake > 0, let since = lastRxChange {
            let sending = sample.txBytes > txAtLastRxChange
            if sending && sample.keepalive > 0 && sample.now - since > Self.stallLimit(keepalive: sample.keepalive) {
                rxStalled = true
            }
            if sending && sample.now - sample.lastHandshake > Self.staleHandshake {
                handshakeStale = true
            }
        }
        return verdict(wasFailing: wasFailing, signal: rxStalled ? .rxStall : .handshakeStale)
    }

    /// Takes a ping result.
    public mutating func observePing(answered: Bool) -> Verdict? {
        let wasFailing = isFailing
        if answered {
            pingAnswered = true
            pingFailing = false
        } else if pingIsExplicit || pingAnswered {
            pingFailing = true
        }
        return verdict(wasFailing: wasFailing, signal: .ping)
    }

    /// No rx for persistent keepalive plus a margin (at least 5 s, or half the keepalive) while
    /// we send: the peer's keepalives or replies should have arrived by then.
    public static func stallLimit(keepalive: Int) -> Double {
        Double(keepalive) + max(5, Double(keepalive) / 2)
    }

    private func verdict(wasFailing: Bool, signal: PathSignal) -> Verdict? {
        switch (wasFailing, isFailing) {
        case (false, true): return .failed(signal)
        case (true, false): return .recovered
        default: return nil
        }
    }
}
