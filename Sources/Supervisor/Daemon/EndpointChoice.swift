import Record
import SystemCalls

/// Which of the addresses in a peer's record to give WireGuard, by the peer's `protocol`
/// (stunmesh-go's ipv4 | ipv6 | prefer_ipv4 | prefer_ipv6) and what this host can route now: a
/// family without a route (IPv6 on an IPv4-only host) is never chosen — `prefer_*` falls back to
/// the other family, and `ipv4`/`ipv6` choose nothing (WireGuard is left as it is) instead of an
/// endpoint WireGuard cannot send to. stunmesh-go flapped between families there (its #295).
/// Pure: `routable` answers the route question (`Sys.hasRoute` in the daemon).
public enum EndpointChoice {
    /// The endpoint to use, or nil (with why) when the record has none the peer's protocol allows
    /// and this host can reach.
    public static func choose(from record: EndpointRecord, protocol peerProtocol: PeerProtocol,
                              routable: (Endpoint) -> Bool = { _ in true }) -> Result<Endpoint, Refusal> {
        let order: [Endpoint?]
        switch peerProtocol {
        case .ipv4: order = [record.ipv4]
        case .ipv6: order = [record.ipv6]
        case .preferIPv4: order = [record.ipv4, record.ipv6]
        case .preferIPv6: order = [record.ipv6, record.ipv4]
        }
        let offered = order.compactMap { $0 }
        guard !offered.isEmpty else { return .failure(.noAddress(peerProtocol)) }
        if let endpoint = offered.first(where: routable) { return .success(endpoint) }
        return .failure(.unroutable(offered))
    }

    /// Why no endpoint was chosen.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// The record has no address of the families the peer's protocol allows.
        case noAddress(PeerProtocol)
        /// It has, but this host has no route to any of them.
        case unroutable([Endpoint])

        public var description: String {
            switch self {
            case .noAddress(let peerProtocol): "the record has no \(peerProtocol.rawValue) address"
            case .unroutable(let endpoints):
                "this host has no route to \(endpoints.map { "\($0)" }.joined(separator: " or ")) (its address family is not reachable from here)"
            }
        }
    }
}
