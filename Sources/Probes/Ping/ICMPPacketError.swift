/// Why a packet read from a ping socket is not an echo reply this `Pinger` can use. Such
/// packets are expected (a raw ICMP socket sees every ICMP message of its interface) and
/// dropped; the type exists so the parser never traps on what the network sends and so tests
/// can say which check rejected a packet.
enum ICMPPacketError: Error, Equatable, Sendable {
    /// Too short for the headers it claims to have.
    case truncated
    /// An IPv4 socket read something whose IP header is not IPv4, or is inconsistent.
    case badIPHeader
    /// The IP header names a protocol other than ICMP.
    case notICMP
    /// An ICMP message other than an echo reply (our own request looped back, an error…).
    case notEchoReply(type: UInt8, code: UInt8)
    /// The ICMPv4 checksum does not verify.
    case badChecksum
}
