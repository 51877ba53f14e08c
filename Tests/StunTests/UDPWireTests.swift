import Glibc
@testable import Stun
import SystemCalls
import Testing

@Suite struct UDPWireTests {
    let source = Endpoint("192.0.2.1:51820")!
    let destination = Endpoint("198.51.100.7:3478")!

    @Test func checksumMatchesAnIndependentComputation() {
        // Expected values computed with Python over the pseudo-header and datagram.
        let payload: [UInt8] = [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42] + Array(1...12)
        let datagram = UDPWire.datagram(from: source, to: destination, payload: payload)
        #expect(Array(datagram[0..<8]) == [0xca, 0x6c, 0x0d, 0x96, 0x00, 0x1c, 0x51, 0xf7])
        #expect(Array(datagram[8...]) == payload)

        let odd = UDPWire.datagram(from: source, to: destination, payload: Array("abc".utf8))
        #expect(Array(odd[6..<8]) == [0x77, 0x36])
    }

    @Test func ipv6ChecksumMatchesAnIndependentComputation() {
        // Python over the RFC 8200 pseudo-header (addresses, 32-bit length, next header 17).
        let source6 = Endpoint("[2001:db8::1]:51820")!
        let destination6 = Endpoint("[2001:db8:ffff::7]:3478")!
        let payload: [UInt8] = [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42] + Array(1...12)
        let datagram = UDPWire.datagram(from: source6, to: destination6, payload: payload)
        #expect(Array(datagram[0..<8]) == [0xca, 0x6c, 0x0d, 0x96, 0x00, 0x1c, 0xe2, 0xb9])
        let odd = UDPWire.datagram(from: source6, to: destination6, payload: Array("abc".utf8))
        #expect(Array(odd[6..<8]) == [0x07, 0xf9])
        #expect(UDPWire.checksum(source: source6.address, destination: destination6.address, datagram: datagram) == 0xFFFF)
    }

    @Test func checksumVerifiesToAllOnes() {
        // Summing the pseudo-header and the datagram with its checksum gives 0xFFFF, i.e. a
        // recomputation over it gives 0 (sent as 0xFFFF).
        for size in 0..<40 {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            let datagram = UDPWire.datagram(from: source, to: destination, payload: payload)
            #expect(UDPWire.checksum(source: source.address, destination: destination.address, datagram: datagram) == 0xFFFF)
        }
    }

    /// An IPv4 header (no options) in front of `datagram`.
    func ipv4Packet(_ datagram: [UInt8], flags: UInt16 = 0x4000, protocolNumber: UInt8 = 17) -> [UInt8] {
        let total = 20 + datagram.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34, UInt8(flags >> 8), UInt8(flags & 0xFF),
                64, protocolNumber, 0, 0] + destination.address.bytes + source.address.bytes + datagram
    }

    @Test func readsAnIPv4UDPPacket() {
        let datagram = UDPWire.datagram(from: destination, to: source, payload: [1, 2, 3])
        let packet = ReceivedUDPPacket(ipv4Packet: ipv4Packet(datagram))
        #expect(packet?.source == destination)
        #expect(packet?.destinationPort == source.port)
        #expect(packet?.payload == [1, 2, 3])
        // Trailing bytes past the IP total length are not payload.
        #expect(ReceivedUDPPacket(ipv4Packet: ipv4Packet(datagram) + [9, 9])?.payload == [1, 2, 3])
    }

    @Test func rejectsFragmentsOtherProtocolsAndEveryTruncation() {
        let datagram = UDPWire.datagram(from: destination, to: source, payload: [1, 2, 3, 4])
        #expect(ReceivedUDPPacket(ipv4Packet: ipv4Packet(datagram, flags: 0x2000)) == nil)  // MF
        #expect(ReceivedUDPPacket(ipv4Packet: ipv4Packet(datagram, flags: 0x0001)) == nil)  // offset
        #expect(ReceivedUDPPacket(ipv4Packet: ipv4Packet(datagram, protocolNumber: 6)) == nil)
        let whole = ipv4Packet(datagram)
        for length in 0..<whole.count {
            #expect(ReceivedUDPPacket(ipv4Packet: Array(whole.prefix(length))) == nil)
        }
        var badUDPLength = whole
        badUDPLength[25] = 40
        #expect(ReceivedUDPPacket(ipv4Packet: badUDPLength) == nil)
        var ipv6 = whole
        ipv6[0] = 0x65
        #expect(ReceivedUDPPacket(ipv4Packet: ipv6) == nil)
    }

    @Test func readsAnIPv6Datagram() {
        let sender = IPAddress("2001:db8:ffff::7")!
        let datagram = UDPWire.datagram(from: Endpoint(address: sender, port: 3478), to: Endpoint("[2001:db8::1]:51820")!,
                                        payload: [1, 2, 3])
        let packet = ReceivedUDPPacket(rawSocketPacket: datagram, family: .ipv6, sender: sender)
        #expect(packet?.source == Endpoint(address: sender, port: 3478))
        #expect(packet?.destinationPort == 51820)
        #expect(packet?.payload == [1, 2, 3])
        // Bytes past the UDP length are not payload.
        #expect(ReceivedUDPPacket(ipv6Datagram: datagram + [9, 9], sender: sender)?.payload == [1, 2, 3])
        // Every truncation, a bad length, and a missing or IPv4 sender are refused.
        for length in 0..<datagram.count {
            #expect(ReceivedUDPPacket(ipv6Datagram: Array(datagram.prefix(length)), sender: sender) == nil)
        }
        var short = datagram
        short[5] = 7
        #expect(ReceivedUDPPacket(ipv6Datagram: short, sender: sender) == nil)
        #expect(ReceivedUDPPacket(rawSocketPacket: datagram, family: .ipv6, sender: nil) == nil)
        #expect(ReceivedUDPPacket(rawSocketPacket: datagram, family: .ipv6, sender: .v4(192, 0, 2, 1)) == nil)
        // The same bytes read as IPv4 are not a packet.
        #expect(ReceivedUDPPacket(rawSocketPacket: datagram, family: .ipv4, sender: sender) == nil)
    }
}
