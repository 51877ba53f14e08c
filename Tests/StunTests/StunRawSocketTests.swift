import Glibc
@testable import Stun
import SystemCalls
import Testing

/// The raw socket and its BPF filter, run through the kernel on loopback (needs root), in both
/// families: 127.0.0.1 and ::1.
@Suite struct StunRawSocketTests {
    /// A STUN-looking payload: cookie at offset 4.
    let stunLike: [UInt8] = [0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + Array(repeating: 7, count: 12)

    /// Polls the raw socket for up to a second.
    func nextPacket(_ socket: StunRawSocket) throws -> (bytes: [UInt8], sender: IPAddress?)? {
        for _ in 0..<100 {
            if let packet = try socket.receive() { return packet }
            usleep(10_000)
        }
        return nil
    }

    @Test(arguments: IPFamily.allCases)
    func filterKeepsOnlyStunToTheLocalPort(_ family: IPFamily) throws {
        let wireGuard = try LoopbackUDPSocket(family: family)  // holds the port, like WireGuard
        let other = try LoopbackUDPSocket(family: family)
        let sender = try LoopbackUDPSocket(family: family)
        let raw = try StunRawSocket(family: family, localPort: wireGuard.port, fwmark: 0)

        var noCookie = stunLike
        noCookie[4] = 0
        try sender.send(noCookie, to: wireGuard.endpoint)           // not STUN
        try sender.send(stunLike, to: other.endpoint)               // other port
        try sender.send([0x01, 0x01, 0x00], to: wireGuard.endpoint) // too short for a cookie
        try sender.send(Array(stunLike.prefix(7)), to: wireGuard.endpoint)
        var marked = stunLike
        marked[19] = 0x99
        try sender.send(marked, to: wireGuard.endpoint)             // the one to keep

        let packet = try #require(try nextPacket(raw))
        let udp = try #require(ReceivedUDPPacket(rawSocketPacket: packet.bytes, family: family, sender: packet.sender))
        #expect(udp.payload == marked)
        #expect(udp.source == sender.endpoint)
        #expect(udp.destinationPort == wireGuard.port)
        if family == .ipv6 {
            // An AF_INET6 raw socket delivers the datagram from its UDP header on.
            #expect(packet.bytes.count == UDPWire.headerSize + marked.count)
            #expect(packet.sender == IPAddress("::1"))
        }
        #expect(try raw.receive() == nil)
        // WireGuard's own socket still gets everything sent to it.
        var toWireGuard = 0
        while try wireGuard.receive(within: 0.2) != nil { toWireGuard += 1 }
        #expect(toWireGuard == 4)
    }

    @Test func anIPv4SocketDoesNotSeeIPv6AndTheOtherWayRound() throws {
        let wireGuard4 = try LoopbackUDPSocket(family: .ipv4)
        let wireGuard6 = try LoopbackUDPSocket(family: .ipv6, port: wireGuard4.port)
        let raw4 = try StunRawSocket(family: .ipv4, localPort: wireGuard4.port, fwmark: 0)
        let raw6 = try StunRawSocket(family: .ipv6, localPort: wireGuard4.port, fwmark: 0)
        try LoopbackUDPSocket(family: .ipv6).send(stunLike, to: wireGuard6.endpoint)
        let packet = try #require(try nextPacket(raw6))
        #expect(packet.sender == IPAddress("::1"))
        #expect(try raw4.receive() == nil)
        try LoopbackUDPSocket(family: .ipv4).send(stunLike, to: wireGuard4.endpoint)
        #expect(try nextPacket(raw4) != nil)
        #expect(try raw6.receive() == nil)
    }

    @Test(arguments: IPFamily.allCases)
    func sendsFromTheLocalPortWithoutBindingIt(_ family: IPFamily) throws {
        let wireGuard = try LoopbackUDPSocket(family: family)
        let server = try LoopbackUDPSocket(family: family)
        let raw = try StunRawSocket(family: family, localPort: wireGuard.port, fwmark: 0)
        let source = try raw.sourceAddress(toward: server.endpoint)
        #expect(source == LoopbackUDPSocket.loopback(family))
        try raw.send(stunLike, from: source, to: server.endpoint)
        let received = try #require(try server.receive(within: 1))
        #expect(received.bytes == stunLike)
        #expect(received.from == wireGuard.endpoint)
    }

    /// A datagram with a corrupted checksum never reaches the server, in either family: so the
    /// one we compute (over the IPv4 or IPv6 pseudo-header) is what the kernel checks.
    @Test(arguments: IPFamily.allCases)
    func theKernelDropsABadChecksumSoTheGoodOneIsProven(_ family: IPFamily) throws {
        let wireGuard = try LoopbackUDPSocket(family: family)
        let server = try LoopbackUDPSocket(family: family)
        let raw = try StunRawSocket(family: family, localPort: wireGuard.port, fwmark: 0)
        var datagram = UDPWire.datagram(from: wireGuard.endpoint, to: server.endpoint, payload: stunLike)
        datagram[7] ^= 0x01
        _ = try datagram.withUnsafeBytes { bytes in
            try Endpoint(address: LoopbackUDPSocket.loopback(family), port: 0).withSockaddr { try Sys.sendto(raw.fd, bytes, $0, $1) }
        }
        #expect(try server.receive(within: 0.2) == nil)
    }

    @Test func aMismatchedFamilyIsRefusedBeforeAnySyscall() throws {
        let raw = try StunRawSocket(family: .ipv6, localPort: 40000, fwmark: 0)
        #expect(throws: Errno.invalid) { try raw.sourceAddress(toward: Endpoint("127.0.0.1:3478")!) }
        #expect(throws: Errno.invalid) {
            try raw.send(stunLike, from: IPAddress("::1")!, to: Endpoint("127.0.0.1:3478")!)
        }
    }

    @Test(arguments: IPFamily.allCases)
    func setsTheMarkWhenAsked(_ family: IPFamily) throws {
        let raw = try StunRawSocket(family: family, localPort: 40000, fwmark: 0x51820)
        var mark: UInt32 = 0
        var length = socklen_t(4)
        #expect(getsockopt(raw.fd, SOL_SOCKET, SO_MARK, &mark, &length) == 0)
        #expect(mark == 0x51820)
        let server = try LoopbackUDPSocket(family: family)
        #expect(try raw.sourceAddress(toward: server.endpoint) == LoopbackUDPSocket.loopback(family))
    }

    @Test(arguments: IPFamily.allCases)
    func programShape(_ family: IPFamily) {
        let program = StunReplyFilter.program(family: family, localPort: 51820)
        #expect(program.count == (family == .ipv4 ? 14 : 6))
        #expect(program.contains { $0.k == 51820 })
        #expect(program.contains { $0.k == 0x2112_A442 })
        #expect(program.last?.k == StunReplyFilter.acceptLength)
        // Every jump lands inside the program.
        for (index, instruction) in program.enumerated() where instruction.code & 0x07 == 0x05 /* BPF_JMP */ {
            #expect(index + 1 + Int(instruction.jt) < program.count)
            #expect(index + 1 + Int(instruction.jf) < program.count)
        }
    }
}
