import SystemCalls

/// What one STUN server saw: our public endpoint toward it, which the daemon publishes for its
/// peers, and where we sent from, so mappings from several servers can be compared.
public struct StunMapping: Sendable, Equatable {
    /// The reflexive (public) address and port of WireGuard's port.
    public var mapped: Endpoint
    /// The server that answered (two servers disagreeing reveals a symmetric NAT).
    public var server: Endpoint
    /// Our side of the exchange: the source address routing chose and WireGuard's port. A
    /// mapping equal to it means no address translation on the path.
    public var local: Endpoint
    /// Seconds from the last transmission of the request to the reply.
    public var rtt: Double

    /// A mapping from its parts.
    public init(mapped: Endpoint, server: Endpoint, local: Endpoint, rtt: Double) {
        self.mapped = mapped
        self.server = server
        self.local = local
        self.rtt = rtt
    }
}
