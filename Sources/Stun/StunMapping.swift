import SystemCalls

/// The result of a successful discovery: our public endpoint as one STUN server saw it, which
/// the daemon publishes for its peers.
public struct StunMapping: Sendable, Equatable {
    /// The reflexive (public) address and port of WireGuard's port.
    public var mapped: Endpoint
    /// The server that answered (two servers disagreeing reveals a symmetric NAT).
    public var server: Endpoint
    /// Seconds from the last transmission of the request to the reply.
    public var rtt: Double

    /// A mapping from its parts.
    public init(mapped: Endpoint, server: Endpoint, rtt: Double) {
        self.mapped = mapped
        self.server = server
        self.rtt = rtt
    }
}
