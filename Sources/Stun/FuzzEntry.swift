import SystemCalls

/// Entry points for the fuzz targets (fuzz/, docs/fuzzing.md) into this module's internal parsers.
/// The daemon does not use them.
public enum StunFuzzEntry {
    /// What a raw STUN socket returns, read in both framings — an IPv4 packet (IP header first) and
    /// an IPv6 UDP datagram (UDP header first, from a fixed sender) — and each payload as a STUN
    /// message. Returns a number derived from what was parsed.
    public static func rawReply(_ packet: [UInt8]) -> Int {
        var n = 0
        let sender = IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        for received in [ReceivedUDPPacket(rawSocketPacket: packet, family: .ipv4, sender: nil),
                         ReceivedUDPPacket(rawSocketPacket: packet, family: .ipv6, sender: sender)] {
            guard let received else { continue }
            n &+= Int(received.destinationPort) &+ received.payload.count
            if let message = try? StunMessage(parsing: received.payload) { n &+= message.attributes.count }
        }
        return n
    }
}
