import Stun

/// What the NAT behaviours on both sides say about a direct path to a peer, so the status can
/// explain a path that keeps failing instead of only retrying. STUN shows mapping, not
/// filtering: with one symmetric side, the path still works if the other side accepts packets
/// from anywhere (full cone, no firewall), which nothing here can see, hence "likely".
public enum DirectPathOutlook: Equatable, Sendable, CustomStringConvertible {
    /// Both NATs map per destination: neither published endpoint is where the other's packets
    /// arrive from or may go to. Only a relay (or a port-mapping protocol) can connect them.
    case impossible
    /// Our NAT maps per destination: the peer's packets go to a mapping made for the STUN
    /// server, so they pass only if the peer's side filters nothing.
    case likelyImpossibleOurs
    /// The peer's NAT maps per destination: our packets and our punch reach a mapping that is
    /// not the one the peer's WireGuard uses toward us, unless our side filters nothing.
    case likelyImpossibleTheirs

    /// The outlook for our NAT behaviour (nil or `.unknown` when not known) and whether the
    /// peer's record says its NAT is symmetric; nil when nothing known stands in the way.
    public static func judge(ours: NatBehaviour?, peerSymmetric: Bool) -> DirectPathOutlook? {
        switch (ours == .symmetric, peerSymmetric) {
        case (true, true): .impossible
        case (true, false): .likelyImpossibleOurs
        case (false, true): .likelyImpossibleTheirs
        case (false, false): nil
        }
    }

    /// The outlook's name in the status JSON and metrics.
    public var statusName: String {
        switch self {
        case .impossible: "impossible"
        case .likelyImpossibleOurs: "likely_impossible_ours"
        case .likelyImpossibleTheirs: "likely_impossible_theirs"
        }
    }

    /// What an operator can do about it (docs/troubleshooting.md).
    public var advice: String {
        switch self {
        case .impossible:
            "give one side a NAT that keeps one mapping per port (endpoint-independent mapping: most home routers; "
                + "carrier-grade NATs often are not), a public address, or a port forward of WireGuard's UDP port; "
                + "otherwise route through a third WireGuard peer both sides can reach"
        case .likelyImpossibleOurs:
            "forward WireGuard's UDP port to this host on our router, or switch the router to endpoint-independent "
                + "mapping (\"full cone\", \"NAT type 2\"); a carrier-grade NAT cannot be changed from here"
        case .likelyImpossibleTheirs:
            "on the peer's side: forward its WireGuard UDP port to it, or switch its router to endpoint-independent "
                + "mapping; or open our side to any source (a port forward here)"
        }
    }

    /// One sentence for the log and status.
    public var description: String {
        switch self {
        case .impossible:
            "direct path impossible: both NATs are symmetric (they map per destination); a relay is needed"
        case .likelyImpossibleOurs:
            "direct path likely impossible: our NAT is symmetric (it maps per destination), so the peer's packets "
                + "pass only if its side accepts any source (no port-restricted NAT or firewall)"
        case .likelyImpossibleTheirs:
            "direct path likely impossible: the peer's NAT is symmetric (it maps per destination), so its packets "
                + "pass only if our side accepts any source (no port-restricted NAT or firewall)"
        }
    }
}
