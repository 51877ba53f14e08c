import SystemCalls

/// UDP at the byte level, for the raw socket STUN runs on: the kernel writes the IP header of
/// what we send, but we write the UDP header (so the source port can be WireGuard's), checksum
/// included (optional in IPv4, mandatory in IPv6), and we read replies with their IPv4 header
/// still on, or (IPv6) from the UDP header.
enum UDPWire {
    /// Size of a UDP header.
    static let headerSize = 8

    /// The UDP checksum (RFC 768) of `datagram` (header with a zero checksum field, then
    /// payload) between `source` and `destination`. The pseudo-header sum is the same for
    /// IPv4 and IPv6 (addresses, protocol 17, UDP length). A computed 0 is sent as 0xFFFF.
    static func checksum(source: IPAddress, destination: IPAddress, datagram: [UInt8]) -> UInt16 {
        var sum: UInt32 = 17 + UInt32(datagram.count)
        func add(_ bytes: [UInt8]) {
            var i = 0
            while i + 1 < bytes.count {
                sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
                i += 2
            }
            if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        }
        add(source.bytes)
        add(destination.bytes)
        add(datagram)
        let folded = ~UInt16(sum)
        return folded == 0 ? 0xFFFF : folded
    }

    /// A UDP datagram (header + payload) from `source` to `destination` with its checksum.
    /// The payload must fit a datagram (under 65528 bytes).
    static func datagram(from source: Endpoint, to destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        var datagram: [UInt8] = []
        datagram.appendBigEndian(source.port)
        datagram.appendBigEndian(destination.port)
        datagram.appendBigEndian(UInt16(headerSize + payload.count))
        datagram.appendBigEndian(UInt16(0))
        datagram += payload
        let sum = checksum(source: source.address, destination: destination.address, datagram: datagram)
        datagram[6] = UInt8(sum >> 8)
        datagram[7] = UInt8(sum & 0xFF)
        return datagram
    }
}

/// A UDP datagram as a raw IPPROTO_UDP socket reads it: an IPv4 socket reads the whole IPv4
/// packet, an IPv6 socket only the UDP header and payload (the sender's address comes from
/// recvfrom). The UDP checksum is not verified: on loopback the kernel leaves a partial one in
/// the copy.
struct ReceivedUDPPacket: Equatable {
    /// Source address and port.
    var source: Endpoint
    /// Destination port (the address is not needed: the filter already chose the port).
    var destinationPort: UInt16
    /// The UDP payload.
    var payload: [UInt8]

    /// Reads what a raw socket of `family` returned; `sender` is recvfrom's address, needed
    /// for IPv6 only. Nil unless it is whole UDP with consistent lengths.
    init?(rawSocketPacket packet: [UInt8], family: IPFamily, sender: IPAddress?) {
        switch family {
        case .ipv4:
            self.init(ipv4Packet: packet)
        case .ipv6:
            guard let sender, !sender.isIPv4 else { return nil }
            self.init(ipv6Datagram: packet, sender: sender)
        }
    }

    /// Reads an IPv4 packet; nil unless it is whole, unfragmented UDP with consistent lengths.
    init?(ipv4Packet packet: [UInt8]) {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return nil }
        let headerLength = Int(packet[0] & 0x0F) * 4
        let totalLength = Int(packet.bigEndianUInt16(at: 2))
        guard headerLength >= 20, totalLength >= headerLength + UDPWire.headerSize, totalLength <= packet.count,
              packet.bigEndianUInt16(at: 6) & 0x3FFF == 0, packet[9] == 17 else { return nil }
        let udpLength = Int(packet.bigEndianUInt16(at: headerLength + 4))
        guard udpLength >= UDPWire.headerSize, headerLength + udpLength <= totalLength else { return nil }
        source = Endpoint(address: IPAddress(bytes: Array(packet[12..<16]))!,
                          port: packet.bigEndianUInt16(at: headerLength))
        destinationPort = packet.bigEndianUInt16(at: headerLength + 2)
        payload = Array(packet[(headerLength + UDPWire.headerSize)..<(headerLength + udpLength)])
    }

    /// Reads a UDP datagram (header first) that came from `sender` over IPv6; nil unless its
    /// length field fits the bytes (bytes past it are not payload).
    init?(ipv6Datagram datagram: [UInt8], sender: IPAddress) {
        guard datagram.count >= UDPWire.headerSize else { return nil }
        let udpLength = Int(datagram.bigEndianUInt16(at: 4))
        guard udpLength >= UDPWire.headerSize, udpLength <= datagram.count else { return nil }
        source = Endpoint(address: sender, port: datagram.bigEndianUInt16(at: 0))
        destinationPort = datagram.bigEndianUInt16(at: 2)
        payload = Array(datagram[UDPWire.headerSize..<udpLength])
    }
}
