import Glibc
@testable import Stun
import SystemCalls
import Testing

/// The punch datagram (docs/first-contact.md) and the listener's filter.
@Suite struct PunchMessageTests {
    let tag: [UInt8] = Array(0..<16)

    @Test(arguments: [false, true])
    func roundTrips(_ seen: Bool) throws {
        let id = StunTransactionID()
        let punch = PunchMessage(transactionID: id, seen: seen, tag: tag)
        #expect(punch.bytes.count == PunchMessage.byteCount)
        let parsed = try #require(PunchMessage(parsing: punch.bytes))
        #expect(parsed == punch)
        // It is a STUN Binding indication with the magic cookie: the raw socket's filter keeps
        // it; WireGuard drops it (first byte 0 is no WireGuard message type).
        let message = try StunMessage(parsing: punch.bytes)
        #expect(message.type == .bindingIndication)
        #expect(punch.bytes[0] == 0x00 && punch.bytes[1] == 0x11)
        // The signed bytes are the message without its tag.
        #expect(PunchMessage.signedBytes(transactionID: id, seen: seen) == Array(punch.bytes.prefix(PunchMessage.byteCount - 16)))
    }

    @Test func anythingElseIsNotAPunch() {
        let punch = PunchMessage(transactionID: StunTransactionID(), seen: true, tag: tag).bytes
        #expect(PunchMessage(parsing: Array(punch.dropLast())) == nil)
        #expect(PunchMessage(parsing: punch + [0, 0, 0, 0]) == nil)
        var request = punch
        request[1] = 0x01  // a Binding request
        #expect(PunchMessage(parsing: request) == nil)
        var flags = punch
        flags[24] = 2  // an unknown flag
        #expect(PunchMessage(parsing: flags) == nil)
        var reserved = punch
        reserved[25] = 1
        #expect(PunchMessage(parsing: reserved) == nil)
        var attribute = punch
        attribute[21] = 0x58  // another attribute type
        #expect(PunchMessage(parsing: attribute) == nil)
        #expect(PunchMessage(parsing: Array("stunmeshd punch".utf8)) == nil, "the old punch")
        #expect(PunchMessage(parsing: []) == nil)
    }

    @Test func theListenerClassifiesInitiationsAndPunches() {
        let punch = PunchMessage(transactionID: StunTransactionID(), seen: false, tag: tag)
        #expect(PunchListener.classify(punch.bytes) == .punch(punch))
        #expect(PunchListener.classify([1, 0, 0, 0] + [UInt8](repeating: 9, count: 144)) == .initiation)
        #expect(PunchListener.classify([2, 0, 0, 0] + [UInt8](repeating: 9, count: 88)) == nil, "a response")
        #expect(PunchListener.classify([1, 0, 0, 0] + [UInt8](repeating: 9, count: 100)) == nil, "not 148 bytes")
    }

    @Test(arguments: IPFamily.allCases)
    func theListenersFilterAlsoKeepsInitiations(_ family: IPFamily) throws {
        let wireGuard = try LoopbackUDPSocket(family: family)
        let sender = try LoopbackUDPSocket(family: family)
        let raw = try StunRawSocket(family: family, localPort: wireGuard.port, fwmark: 0, also: .handshakeInitiations)
        let discovery = try StunRawSocket(family: family, localPort: wireGuard.port, fwmark: 0)
        let initiation: [UInt8] = [1, 0, 0, 0] + [UInt8](repeating: 0x42, count: 144)
        let data: [UInt8] = [4, 0, 0, 0] + [UInt8](repeating: 0x42, count: 60)
        try sender.send(data, to: wireGuard.endpoint)
        try sender.send(initiation, to: wireGuard.endpoint)
        var kept: [[UInt8]] = []
        for _ in 0..<100 {
            if let packet = try raw.receiveDatagram() { kept.append(packet.payload) }
            if !kept.isEmpty { break }
            usleep(10_000)
        }
        usleep(50_000)
        while let packet = try raw.receiveDatagram() { kept.append(packet.payload) }
        #expect(kept == [initiation])
        #expect(try discovery.receiveDatagram() == nil, "discovery's filter keeps STUN only")
    }

    @Test(arguments: IPFamily.allCases)
    func programShape(_ family: IPFamily) {
        let program = StunReplyFilter.program(family: family, localPort: 51820, also: .handshakeInitiations)
        #expect(program.count == (family == .ipv4 ? 16 : 8))
        #expect(program.contains { $0.k == StunReplyFilter.initiationWord })
        for (index, instruction) in program.enumerated() where instruction.code & 0x07 == 0x05 /* BPF_JMP */ {
            #expect(index + 1 + Int(instruction.jt) < program.count)
            #expect(index + 1 + Int(instruction.jf) < program.count)
        }
    }
}
