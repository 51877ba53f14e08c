import Glibc

/// The identity of an ICMP / ICMPv6 echo message, (identifier, sequence), and its wire form:
/// what `Pinger` sends and what it matches replies against.
struct ICMPEcho: Equatable, Hashable, Sendable {
    /// ICMPv4 echo reply / request types (RFC 792).
    static let echoReplyV4: UInt8 = 0, echoRequestV4: UInt8 = 8
    /// ICMPv6 echo request / reply types (RFC 4443).
    static let echoRequestV6: UInt8 = 128, echoReplyV6: UInt8 = 129
    /// Echo data, 16 bytes: says who sent the probe to anyone capturing it.
    static let payload: [UInt8] = Array("stunmeshd probe.".utf8)

    /// Chosen per `Pinger`, so that replies to other pingers on the host are told apart.
    var identifier: UInt16
    /// Incremented per request, so that each request's reply is told apart.
    var sequence: UInt16

    /// The echo request message (ICMP header and payload; the kernel adds the IP header).
    /// For AF_INET the checksum is filled in; for AF_INET6 it is left 0 for the kernel.
    func request(family: Int32) -> [UInt8] {
        let type = family == AF_INET6 ? Self.echoRequestV6 : Self.echoRequestV4
        var message: [UInt8] = [type, 0, 0, 0,
                                UInt8(identifier >> 8), UInt8(identifier & 0xFF),
                                UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        message += Self.payload
        if family != AF_INET6 {
            let checksum = InternetChecksum.compute(message)
            message[2] = UInt8(checksum >> 8)
            message[3] = UInt8(checksum & 0xFF)
        }
        return message
    }

    /// Parses a packet read from a raw ping socket of `family` as an echo reply. An AF_INET
    /// raw socket delivers the IP header (its length taken from IHL) and the checksum is
    /// verified here; an AF_INET6 one delivers the ICMPv6 message alone, checksum already
    /// verified by the kernel.
    init(reply packet: [UInt8], family: Int32) throws(ICMPPacketError) {
        let message: ArraySlice<UInt8>
        if family == AF_INET6 {
            message = packet[...]
        } else {
            guard packet.count >= 20 else { throw .truncated }
            guard packet[0] >> 4 == 4 else { throw .badIPHeader }
            let headerLength = Int(packet[0] & 0x0F) * 4
            let totalLength = Int(packet[2]) << 8 | Int(packet[3])
            guard headerLength >= 20, totalLength >= headerLength else { throw .badIPHeader }
            guard totalLength <= packet.count else { throw .truncated }
            guard packet[9] == UInt8(IPPROTO_ICMP) else { throw .notICMP }
            message = packet[headerLength..<totalLength]
        }
        guard message.count >= 8 else { throw .truncated }
        let start = message.startIndex
        let type = message[start], code = message[start + 1]
        let expected = family == AF_INET6 ? Self.echoReplyV6 : Self.echoReplyV4
        guard type == expected, code == 0 else { throw .notEchoReply(type: type, code: code) }
        if family != AF_INET6 {
            guard InternetChecksum.compute(message) == 0 else { throw .badChecksum }
        }
        identifier = UInt16(message[start + 4]) << 8 | UInt16(message[start + 5])
        sequence = UInt16(message[start + 6]) << 8 | UInt16(message[start + 7])
    }

    /// An echo identity from its parts.
    init(identifier: UInt16, sequence: UInt16) {
        self.identifier = identifier
        self.sequence = sequence
    }
}
