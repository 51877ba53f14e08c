import Glibc
@testable import Stun
import SystemCalls
import Testing

/// The raw socket and its BPF filter, run through the kernel on loopback (needs root).
@Suite struct StunRawSocketTests {
    let loopback = IPAddress.v4(127, 0, 0, 1)

    /// A STUN-looking payload: cookie at offset 4.
    let stunLike: [UInt8] = [0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + Array(repeating: 7, count: 12)

    /// Polls the raw socket for up to a second.
    func nextPacket(_ socket: StunRawSocket) throws -> [UInt8]? {
        for _ in 0..<100 {
            if let packet = try socket.receive() { return packet }
            usleep(10_000)
        }
        return nil
    }

    @Test func filterKeepsOnlyStunToTheLocalPort() throws {
        let wireGuard = try LoopbackUDPSocket()  // holds the port, like WireGuard
        let other = try LoopbackUDPSocket()
        let sender = try LoopbackUDPSocket()
        let raw = try StunRawSocket(localPort: wireGuard.port, fwmark: 0)

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
        let udp = try #require(ReceivedUDPPacket(ipv4Packet: packet))
        #expect(udp.payload == marked)
        #expect(udp.source == sender.endpoint)
        #expect(udp.destination == wireGuard.endpoint)
        #expect(try raw.receive() == nil)
        // WireGuard's own socket still gets everything sent to it.
        var toWireGuard = 0
        while try wireGuard.receive(within: 0.2) != nil { toWireGuard += 1 }
        #expect(toWireGuard == 4)
    }

    @Test func sendsFromTheLocalPortWithoutBindingIt() throws {
        let wireGuard = try LoopbackUDPSocket()
        let server = try LoopbackUDPSocket()
        let raw = try StunRawSocket(localPort: wireGuard.port, fwmark: 0)
        let source = try raw.sourceAddress(toward: server.endpoint)
        #expect(source == loopback)
        try raw.send(stunLike, from: source, to: server.endpoint)
        let received = try #require(try server.receive(within: 1))
        #expect(received.bytes == stunLike)
        #expect(received.from == wireGuard.endpoint)
    }

    @Test func theKernelDropsABadChecksumSoTheGoodOneIsProven() throws {
        let wireGuard = try LoopbackUDPSocket()
        let server = try LoopbackUDPSocket()
        let raw = try StunRawSocket(localPort: wireGuard.port, fwmark: 0)
        var datagram = UDPWire.datagram(from: wireGuard.endpoint, to: server.endpoint, payload: stunLike)
        datagram[7] ^= 0x01
        _ = try datagram.withUnsafeBytes { bytes in
            try Endpoint(address: loopback, port: 0).withSockaddr { try Sys.sendto(raw.fd, bytes, $0, $1) }
        }
        #expect(try server.receive(within: 0.2) == nil)
    }

    @Test func setsTheMarkWhenAsked() throws {
        let raw = try StunRawSocket(localPort: 40000, fwmark: 0x51820)
        var mark: UInt32 = 0
        var length = socklen_t(4)
        #expect(getsockopt(raw.fd, SOL_SOCKET, SO_MARK, &mark, &length) == 0)
        #expect(mark == 0x51820)
        let server = try LoopbackUDPSocket()
        #expect(try raw.sourceAddress(toward: server.endpoint) == loopback)
    }

    @Test func programShape() {
        let program = StunReplyFilter.program(localPort: 51820)
        #expect(program.count == 14)
        #expect(program[9].k == 51820)
        #expect(program[11].k == 0x2112_A442)
        #expect(program.last?.k == StunReplyFilter.acceptLength)
        // Every jump lands inside the program.
        for (index, instruction) in program.enumerated() where instruction.code & 0x07 == 0x05 /* BPF_JMP */ {
            #expect(index + 1 + Int(instruction.jt) < program.count)
            #expect(index + 1 + Int(instruction.jf) < program.count)
        }
    }
}
