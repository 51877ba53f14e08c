import SystemCalls

/// The "punch": one UDP datagram from WireGuard's listen port to the peer's public endpoint, sent
/// through a raw socket like STUN's so WireGuard's port is never bound. It creates the outbound
/// NAT mapping and conntrack entry (or, over IPv6, the stateful firewall's entry) the peer's
/// handshake needs to get in, without starting a handshake of our own (two initiators collide
/// and cost 5–16 s). WireGuard on the other side drops it as an unknown message type.
public enum HolePunch {
    /// The datagram's payload: not a WireGuard message type (those are 1–4 in the first byte).
    public static let payload: [UInt8] = Array("stunmeshd punch".utf8)

    /// Sends one punch from `localPort` (with `fwmark`) to `endpoint`, IPv4 or IPv6.
    public static func send(fromPort localPort: UInt16, fwmark: UInt32, to endpoint: Endpoint) throws(Errno) {
        let socket = try StunRawSocket(family: endpoint.address.ipFamily, localPort: localPort, fwmark: fwmark)
        let source = try socket.sourceAddress(toward: endpoint)
        try socket.send(payload, from: source, to: endpoint)
    }
}
