import SystemCalls

/// When an interface checks its own public mapping by STUN while its peers' paths are believed
/// good, and what an answer means (issue #12 item 3). A NAT may give WireGuard's port a new public
/// mapping with no event on our host (a carrier NAT's timeout, a CGNAT re-balancing, a conntrack
/// flush). While the tunnel carries traffic our own rules see it within a second; while it is idle
/// the side that was re-mapped may not: its keepalives go out through the new mapping and expect
/// nothing back, and the partner's packets to the old one are dropped before they reach us. So
/// once per `interval` without any exchange from the port, one STUN exchange checks it — per
/// WireGuard port, not per peer (`PortDiscovery`), and only while some peer is in `monitoring`
/// with its path believed good: a peer in its cycle discovers anyway, and every exchange from the
/// port (a peer's cycle, a refresh, a check) restarts the wait. A pure value: the daemon asks it
/// and carries it out.
///
/// Cost: one Binding request and answer per STUN server (~0.2 kB per server over IPv4) per
/// interval; at the default 5 minutes and two servers ~0.1 MB a day per interface, whatever the
/// number of peers (docs/path-judgement.md).
public struct MappingCheck: Equatable, Sendable {
    /// The default interval (`monitor.mapping_check_interval`).
    public static let defaultInterval = 300.0
    /// The intervals accepted: at least 10 s (each check is a STUN exchange with every server), at
    /// most a year.
    public static let intervalRange = 10.0...(86400 * 365)

    /// Seconds between two exchanges from the port while its peers are idle.
    public let interval: Double

    /// A check every `interval` seconds.
    public init(interval: Double = MappingCheck.defaultInterval) {
        self.interval = interval
    }

    /// What to do now.
    public enum Decision: Equatable, Sendable {
        /// Run one exchange from the port now.
        case check
        /// Ask again after this many seconds.
        case wait(Double)
    }

    /// The decision at loop time `now`, given when the port's last exchange finished (nil:
    /// never) and how many of the interface's peers have their path believed good (in
    /// `monitoring`, no repair, the keepalive not withheld).
    public func decide(now: Double, lastExchange: Double?, watching: Int) -> Decision {
        guard watching > 0 else { return .wait(interval) }
        guard let lastExchange else { return .check }
        let due = lastExchange + interval
        return now >= due ? .check : .wait(due - now)
    }

    /// Whether a check that found `found` means a peer that last published `published` must run
    /// its cycle now (re-discover, republish, read the partner's record): a family that answered
    /// with another endpoint than the one published, or that answered where nothing was
    /// published for it. A family that did not answer this time is not a move (a STUN server's
    /// hiccup must not rewrite records); nothing published yet is not either (the peer's own
    /// cycle is under way).
    public static func moved(found: PublicEndpoints, published: PublicEndpoints?) -> Bool {
        guard let published else { return false }
        for family in IPFamily.allCases {
            if let endpoint = found[family], endpoint != published[family] { return true }
        }
        return false
    }
}
