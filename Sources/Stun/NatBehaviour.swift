import SystemCalls

/// How the NAT in front of WireGuard's port maps it, judged by comparing what several STUN
/// servers saw (RFC 4787 terms). STUN reveals mapping, not filtering: whether unsolicited
/// inbound packets pass stays unknown.
public enum NatBehaviour: Sendable, Equatable, CustomStringConvertible {
    /// Fewer than two servers answered from the same source and the mapping is translated:
    /// nothing to compare.
    case unknown
    /// The mapping is our own address and port: no translation (a firewall may still filter).
    case notTranslated
    /// Every server saw the same mapping: endpoint-independent mapping, so the published
    /// endpoint is the one the peer's packets must reach.
    case endpointIndependent
    /// Servers saw different mappings: address- and/or port-dependent mapping ("symmetric"),
    /// so the published endpoint is only valid toward the STUN server that reported it.
    case symmetric

    /// Judges `mappings` (in answer order). Only those sent from the same local address as the
    /// first are compared: a host with a route per server may leave by different addresses.
    public static func judge(_ mappings: [StunMapping]) -> NatBehaviour {
        guard let first = mappings.first else { return .unknown }
        let comparable = mappings.filter { $0.local == first.local }
        if comparable.contains(where: { $0.mapped != first.mapped }) { return .symmetric }
        if first.mapped == first.local { return .notTranslated }
        return comparable.count >= 2 ? .endpointIndependent : .unknown
    }

    /// The name in the status JSON and metrics: unknown, not_translated, endpoint_independent, symmetric.
    public var statusName: String {
        switch self {
        case .unknown: "unknown"
        case .notTranslated: "not_translated"
        case .endpointIndependent: "endpoint_independent"
        case .symmetric: "symmetric"
        }
    }

    /// Words for the log and status: "unknown", "not translated", "endpoint-independent",
    /// "symmetric".
    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .notTranslated: "not translated"
        case .endpointIndependent: "endpoint-independent"
        case .symmetric: "symmetric"
        }
    }
}
