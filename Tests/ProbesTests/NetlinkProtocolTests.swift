import CLibMNL
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// Building and parsing the "wireguard" generic netlink messages, against bytes a real kernel
/// (Debian 6.1 under QEMU) exchanged with `wg show wg0 dump` (NetlinkCaptureFixture.swift).
@Suite struct NetlinkProtocolTests {
    static func bytes(_ hex: String) -> [UInt8] { KeyHex.decode(hex)! }

    /// The family id the kernel gave "wireguard" in the capture: the type of wg's dump request.
    static var capturedFamilyID: UInt16 {
        let request = bytes(NetlinkCapture.deviceRequest)
        return UInt16(request[4]) | UInt16(request[5]) << 8
    }

    static func collect(_ datagrams: [String], sequence: UInt32) throws -> NetlinkReplyCollector {
        var collector = NetlinkReplyCollector(sequence: sequence)
        for datagram in datagrams { try collector.add(datagram: bytes(datagram)) }
        return collector
    }

    @Test func buildsTheSameRequestsAsWireGuardTools() {
        #expect(WireGuardNetlinkProtocol.getFamilyRequest(sequence: NetlinkCapture.familySequence)
                == Self.bytes(NetlinkCapture.familyRequest))
        #expect(WireGuardNetlinkProtocol.getDeviceRequest(familyID: Self.capturedFamilyID, interface: NetlinkCapture.interface,
                                                          sequence: NetlinkCapture.deviceSequence)
                == Self.bytes(NetlinkCapture.deviceRequest))
    }

    @Test func resolvesTheFamilyIDFromTheCapturedReply() throws {
        let reply = try Self.collect(NetlinkCapture.familyReply, sequence: NetlinkCapture.familySequence)
        #expect(reply.isFinished)
        #expect(try WireGuardNetlinkProtocol.familyID(from: reply.messages) == Self.capturedFamilyID)
    }

    @Test func parsesTheCapturedMultiPartDumpLikeWireGuardTools() throws {
        let reply = try Self.collect(NetlinkCapture.deviceReply, sequence: NetlinkCapture.deviceSequence)
        #expect(reply.isFinished)
        #expect(!reply.wasInterrupted)
        #expect(reply.messages.count >= 2)
        let dump = try WireGuardNetlinkProtocol.device(from: reply.messages)
        #expect(dump.interface == NetlinkCapture.interface)
        #expect(dump.state.privateKeyHex == NetlinkCapture.privateKeyHex)
        #expect(dump.state.listenPort == NetlinkCapture.listenPort)
        #expect(dump.state.fwmark == NetlinkCapture.fwmark)
        #expect(dump.state.peers.map(\.publicKeyHex) == NetlinkCapture.peers.map(\.publicKeyHex))
        for (parsed, expected) in zip(dump.state.peers, NetlinkCapture.peers) {
            #expect(parsed.endpoint == expected.endpoint)
            #expect(Int(parsed.lastHandshake) == expected.handshakeSeconds)
            #expect(parsed.rxBytes == expected.rxBytes)
            #expect(parsed.txBytes == expected.txBytes)
            #expect(parsed.persistentKeepalive == expected.keepalive)
            #expect(dump.allowedIPs[expected.publicKeyHex] ?? [] == expected.allowedIPs)
        }
        // The capture has a real handshake (two kernel devices pinging each other).
        #expect(dump.state.peers[0].lastHandshake > 1_600_000_000)
    }

    @Test func theCaptureSplitsOnePeerOverTwoParts() throws {
        let reply = try Self.collect(NetlinkCapture.deviceReply, sequence: NetlinkCapture.deviceSequence)
        var keysPerPart: [[String]] = []
        for message in reply.messages {
            var keys: [String] = []
            for attribute in try message.genericAttributes() where attribute.type == UInt16(WGDEVICE_A_PEERS.rawValue) {
                for entry in try attribute.nested() { keys.append(try NetlinkPeerEntry(entry.nested()).publicKeyHex) }
            }
            keysPerPart.append(keys)
        }
        let split = zip(keysPerPart, keysPerPart.dropFirst()).contains { $0.last != nil && $0.last == $1.first }
        #expect(split, "no peer continues from one part into the next: \(keysPerPart.map(\.count))")
        #expect(keysPerPart.flatMap { $0 }.count > NetlinkCapture.peers.count)
    }

    @Test func everyTruncatedDatagramIsAnErrorNotACrash() throws {
        for hex in NetlinkCapture.deviceReply + NetlinkCapture.familyReply {
            let datagram = Self.bytes(hex)
            let boundaries = Set(try NetlinkMessage.split(datagram).reduce(into: [0]) { ends, message in
                ends.append(ends.last! + ((16 + message.payload.count + 3) & ~3))
            })
            for length in stride(from: 1, to: datagram.count, by: datagram.count > 512 ? 5 : 1) where !boundaries.contains(length) {
                #expect(throws: WireGuardError.self) { _ = try NetlinkMessage.split(Array(datagram[..<length])) }
            }
        }
    }

    @Test func corruptedDumpsAreErrorsOrValuesNeverCrashes() throws {
        var seed: UInt64 = 0x5EED
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        let original = NetlinkCapture.deviceReply.map(Self.bytes)
        for _ in 0..<1500 {
            var datagrams = original
            let which = next() % datagrams.count
            for _ in 0...(next() % 4) {
                datagrams[which][16 + next() % (datagrams[which].count - 16)] = UInt8(truncatingIfNeeded: next())
            }
            var collector = NetlinkReplyCollector(sequence: NetlinkCapture.deviceSequence)
            do {
                for datagram in datagrams { try collector.add(datagram: datagram) }
                _ = try WireGuardNetlinkProtocol.device(from: collector.messages)
            } catch {}
        }
    }

    @Test func anErrorReplyIsRefusedWithItsErrno() {
        // NLMSG_ERROR, seq 9, error -ENODEV, then the echoed request header.
        var message: [UInt8] = [36, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]
        message += withUnsafeBytes(of: Int32(-ENODEV).littleEndian, Array.init)
        message += [UInt8](repeating: 0, count: 16)
        var collector = NetlinkReplyCollector(sequence: 9)
        #expect(throws: WireGuardError.refused(errno: ENODEV)) { try collector.add(datagram: message) }
    }

    @Test func repliesToOtherRequestsAreIgnoredAndInterruptedDumpsFlagged() throws {
        var other = NetlinkReplyCollector(sequence: NetlinkCapture.deviceSequence &+ 1)
        for hex in NetlinkCapture.deviceReply { try other.add(datagram: Self.bytes(hex)) }
        #expect(!other.isFinished)
        #expect(other.messages.isEmpty)

        var datagrams = NetlinkCapture.deviceReply.map(Self.bytes)
        datagrams[0][6] |= UInt8(NLM_F_DUMP_INTR)
        var interrupted = NetlinkReplyCollector(sequence: NetlinkCapture.deviceSequence)
        for datagram in datagrams { try interrupted.add(datagram: datagram) }
        #expect(interrupted.wasInterrupted)
    }

    @Test func theSetRequestCarriesOnlyKeyFlagsEndpointAndKeepalive() {
        let key = (1...32).map { UInt8($0) }
        let request = WireGuardNetlinkProtocol.setPeerRequest(familyID: 0x20, interface: "wg0", publicKey: key,
                                                              endpoint: Endpoint("203.0.113.7:51820")!,
                                                              persistentKeepalive: 25, sequence: 7)
        // Written out by hand from linux/wireguard.h and netlink(7), little-endian host.
        let expected = "6c000000" + "2000" + "0500" + "07000000" + "00000000"  // nlmsghdr: len 108, family, REQUEST|ACK, seq 7
            + "01010000"                                                      // genlmsghdr: WG_CMD_SET_DEVICE, version 1
            + "08000200" + "77673000"                                         // WGDEVICE_A_IFNAME "wg0\0"
            + "50000880"                                                      // WGDEVICE_A_PEERS | NLA_F_NESTED, 80 bytes
            + "4c000080"                                                      // peer 0 | NLA_F_NESTED, 76 bytes
            + "24000100" + KeyHex.encode(key)                                 // WGPEER_A_PUBLIC_KEY
            + "08000300" + "04000000"                                         // WGPEER_A_FLAGS = WGPEER_F_UPDATE_ONLY
            + "14000400" + "0200" + "ca6c" + "cb007107" + "0000000000000000"  // WGPEER_A_ENDPOINT sockaddr_in
            + "06000500" + "1900" + "0000"                                    // WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL 25, pad
        #expect(KeyHex.encode(request) == expected)
    }

    @Test func anIPv6SetRequestWithoutKeepaliveHasNoKeepaliveAttribute() throws {
        let key = [UInt8](repeating: 0xAB, count: 32)
        let request = WireGuardNetlinkProtocol.setPeerRequest(familyID: 0x1F, interface: "wg-test", publicKey: key,
                                                              endpoint: Endpoint("[2001:db8::1]:4500")!,
                                                              persistentKeepalive: nil, sequence: 1)
        let message = try #require(try NetlinkMessage.split(request).first)
        #expect(message.type == 0x1F)
        let top = try message.genericAttributes()
        #expect(top.map(\.type) == [UInt16(WGDEVICE_A_IFNAME.rawValue), UInt16(WGDEVICE_A_PEERS.rawValue)])
        let peers = try top[1].nested()
        #expect(peers.count == 1)
        let peer = try peers[0].nested()
        #expect(peer.map(\.type) == [WGPEER_A_PUBLIC_KEY, WGPEER_A_FLAGS, WGPEER_A_ENDPOINT].map { UInt16($0.rawValue) })
        #expect(try NetlinkPeerEntry.endpoint(peer[2].payload) == Endpoint("[2001:db8::1]:4500"))
        #expect(peer[2].payload.count == MemoryLayout<sockaddr_in6>.size)
    }

    @Test func endpointsOfOtherFamiliesOrSizesAreMalformed() {
        #expect(throws: WireGuardError.self) { try NetlinkPeerEntry.endpoint([1, 0] + [UInt8](repeating: 0, count: 14)) }
        #expect(throws: WireGuardError.self) { try NetlinkPeerEntry.endpoint([2, 0, 0, 1]) }
        #expect(throws: WireGuardError.self) { try NetlinkPeerEntry.endpoint([]) }
    }

    @Test func aPeerEntryWithoutKeyIsMalformed() {
        #expect(throws: WireGuardError.self) { try NetlinkPeerEntry([NetlinkAttribute(type: 6, payload: [UInt8](repeating: 0, count: 8))]) }
    }

    /// A header whose length has the top bit set passes libmnl's signed check; it must be refused,
    /// not read past the datagram (found by fuzzing main at f1e00ed).
    @Test func aLengthOfTwoToTheThirtyFirstIsNotReadPastTheEnd() {
        var datagram = [UInt8](repeating: 0, count: 32)
        datagram[0] = 0x00; datagram[1] = 0x00; datagram[2] = 0x00; datagram[3] = 0x80  // nlmsg_len = 2^31
        datagram[4] = 0x10  // some type
        #expect(throws: WireGuardError.self) { _ = try NetlinkMessage.split(datagram) }
        datagram[0] = 0xFF; datagram[1] = 0xFF; datagram[2] = 0xFF; datagram[3] = 0xFF
        #expect(throws: WireGuardError.self) { _ = try NetlinkMessage.split(datagram) }
    }
}
