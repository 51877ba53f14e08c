import Record
import SystemCalls

/// Which of the addresses in a peer's record to give WireGuard, by the peer's `protocol`
/// (stunmesh-go's ipv4 | ipv6 | prefer_ipv4 | prefer_ipv6). A pure function of the record.
public enum EndpointChoice {
    /// The endpoint to use, or nil when the record has none the peer's protocol allows.
    public static func choose(from record: EndpointRecord, protocol peerProtocol: PeerProtocol) -> Endpoint? {
        switch peerProtocol {
        case .ipv4: return record.ipv4
        case .ipv6: return record.ipv6
        case .preferIPv4: return record.ipv4 ?? record.ipv6
        case .preferIPv6: return record.ipv6 ?? record.ipv4
        }
    }
}
