/// When to retransmit a Binding request and when to give up on a server (RFC 8489 §6.2.1):
/// the first retransmission after `initialRTO`, each next after twice the previous interval,
/// `attempts` transmissions in all, then `lastWaitMultiplier` × `initialRTO` for a reply to
/// the last. RFC 8489 uses 7 transmissions and a last wait of 16 × RTO (39.5 s per server);
/// the default here, 4 and 8 × RTO, gives up after 7.5 s so the next server gets its turn
/// while the NAT mapping is still fresh.
public struct StunRetransmitPolicy: Sendable, Equatable {
    /// Seconds before the first retransmission.
    public var initialRTO: Double
    /// Transmissions per server, the first included (at least 1).
    public var attempts: Int
    /// Wait after the last transmission, in multiples of `initialRTO` (RFC 8489's Rm).
    public var lastWaitMultiplier: Double

    /// 0.5 s, 4 transmissions, 8 × RTO last wait.
    public static let `default` = StunRetransmitPolicy()

    /// A policy from its parts.
    public init(initialRTO: Double = 0.5, attempts: Int = 4, lastWaitMultiplier: Double = 8) {
        self.initialRTO = initialRTO
        self.attempts = attempts
        self.lastWaitMultiplier = lastWaitMultiplier
    }

    /// Seconds to wait after transmission number `sent` (1-based) before the next step:
    /// doubling intervals, then the last wait after the last transmission.
    public func wait(afterTransmission sent: Int) -> Double {
        if sent >= max(1, attempts) { return initialRTO * lastWaitMultiplier }
        var interval = initialRTO
        for _ in 1..<max(1, sent) { interval *= 2 }
        return interval
    }

    /// Seconds from the first transmission to a server until it is given up.
    public var timeoutPerServer: Double {
        (1...max(1, attempts)).reduce(0) { $0 + wait(afterTransmission: $1) }
    }
}
