/// Which evidence said the path to a peer is broken. The peer remembers the last one (and when)
/// so that status can say why a repair started.
public enum PathSignal: Equatable, Sendable, CustomStringConvertible {
    /// We sent and nothing came back for longer than the path's traffic made likely, and a
    /// burst of probes sized to the path's loss went wholly unanswered (`PathMonitor`).
    case unanswered
    /// WireGuard sent but received nothing for longer than keepalive plus a margin.
    case rxStall
    /// The last handshake is older than 135 s while traffic is pending.
    case handshakeStale
    /// The local network changed (link, address, default route), as netlink reported it.
    case network(String)
    /// An operator asked for it (SIGUSR2).
    case manual

    /// A short name for logs and status.
    public var description: String {
        switch self {
        case .unanswered: "unanswered"
        case .rxStall: "rx-stall"
        case .handshakeStale: "handshake-stale"
        case .network(let what): "network(\(what))"
        case .manual: "manual"
        }
    }
}

/// What WireGuard says about the peer at the moment a remote record is read: the facts the
/// machine needs to decide whether to write the record's endpoint and how.
public struct RemoteContext: Equatable, Sendable {
    /// Wall-clock seconds when this record content was first seen (or its own timestamp).
    public var recordSince: Double
    /// The endpoint WireGuard has now (set by us, or learned by roaming).
    public var wireGuardEndpoint: Endpoint?
    /// Wall-clock seconds of the last handshake; 0 for never.
    public var lastHandshake: Double
    /// Wall-clock seconds now.
    public var now: Double
    /// Whether we start handshakes with this peer: the side whose public key sorts first does,
    /// the other only punches, so the two never initiate at once.
    public var weInitiate: Bool
    /// Whether the record carries our replay-protection `ts`. A record without one comes from a
    /// stunmesh-go peer, which republishes on its own clock (its ping monitor's retries 2 s apart
    /// after a failure), not when our knock or a watch says so.
    public var partnerStamps: Bool
    /// The peer wrote its record again, newer, with the same endpoints as the one we had: its knock
    /// (it cannot reach us: its keepalive test found our NAT closed toward it, or its repair found
    /// neither side moved). One punch toward it re-opens our NAT for it.
    public var partnerRewrote: Bool

    /// A context from its parts.
    public init(recordSince: Double, wireGuardEndpoint: Endpoint?, lastHandshake: Double, now: Double, weInitiate: Bool,
                partnerStamps: Bool = true, partnerRewrote: Bool = false) {
        self.weInitiate = weInitiate
        self.partnerStamps = partnerStamps
        self.partnerRewrote = partnerRewrote
        self.recordSince = recordSince
        self.wireGuardEndpoint = wireGuardEndpoint
        self.lastHandshake = lastHandshake
        self.now = now
    }

    /// Whether the current session keys are still usable (REJECT_AFTER_TIME is 180 s; a margin
    /// keeps us off the edge): then sending anything needs no new handshake.
    public var sessionValid: Bool { lastHandshake > 0 && now - lastHandshake < 170 }
}

import SystemCalls
