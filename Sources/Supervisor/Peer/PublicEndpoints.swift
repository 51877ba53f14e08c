import SystemCalls

/// Our public mapping in each family the interface publishes: what one discovery found and one
/// record carries (IPv4, IPv6, or both for a dual-stack interface). The state machine compares
/// these values to decide whether to republish.
public struct PublicEndpoints: Equatable, Sendable, CustomStringConvertible {
    /// The public IPv4 endpoint, when discovered.
    public var ipv4: Endpoint?
    /// The public IPv6 endpoint, when discovered.
    public var ipv6: Endpoint?

    /// Endpoints by family.
    public init(ipv4: Endpoint? = nil, ipv6: Endpoint? = nil) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// One endpoint, in the slot of its family.
    public init(_ endpoint: Endpoint) {
        self.init()
        self[endpoint.address.ipFamily] = endpoint
    }

    /// The endpoint of `family`.
    public subscript(family: IPFamily) -> Endpoint? {
        get { family == .ipv4 ? ipv4 : ipv6 }
        set { if family == .ipv4 { ipv4 = newValue } else { ipv6 = newValue } }
    }

    /// Whether neither family has an endpoint.
    public var isEmpty: Bool { ipv4 == nil && ipv6 == nil }

    /// "203.0.113.7:51820", "[2001:db8::1]:51820", or both joined by ", " (IPv4 first).
    public var description: String {
        [ipv4, ipv6].compactMap { $0?.description }.joined(separator: ", ")
    }
}
