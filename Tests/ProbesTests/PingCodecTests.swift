import Glibc
@testable import Probes
import SystemCalls
import Testing

/// The pure pieces of the ping probe: Internet checksum, echo request encoding, reply parsing.
@Suite struct PingCodecTests {
    /// An IPv4 header (IHL 5, or more with `options`) in front of `icmp`, from 10.0.0.2.
    static func ipv4(_ icmp: [UInt8], options: [UInt8] = [], proto: UInt8 = 1, totalLengthDelta: Int = 0) -> [UInt8] {
        let headerLength = 20 + options.count
        let total = headerLength + icmp.count + totalLengthDelta
        return [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xFF),
                0, 0, 0x40, 0, 64, proto, 0, 0,
                10, 0, 0, 2, 10, 0, 0, 1] + options + icmp
    }

    /// An ICMPv4 echo reply with a correct checksum.
    static func replyV4(identifier: UInt16, sequence: UInt16, payload: [UInt8] = [1, 2, 3]) -> [UInt8] {
        var message: [UInt8] = [0, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xFF),
                                UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + payload
        let checksum = InternetChecksum.compute(message)
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xFF)
        return message
    }

    @Test func checksumMatchesRFC1071Example() {
        // RFC 1071 section 3: the words sum to 0xDDF2 after the end-around carry.
        #expect(InternetChecksum.compute([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == ~UInt16(0xDDF2))
    }

    @Test func checksumPadsAnOddByteAndVerifiesToZero() {
        #expect(InternetChecksum.compute([0xAB]) == ~UInt16(0xAB00))
        #expect(InternetChecksum.compute([]) == 0xFFFF)
        var message: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, 7, 0xFF, 0xFF, 0x01]
        let checksum = InternetChecksum.compute(message)
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xFF)
        #expect(InternetChecksum.compute(message) == 0)
    }

    @Test func encodesAnIPv4EchoRequestWithItsChecksum() {
        let request = ICMPEcho(identifier: 0xBEEF, sequence: 0x0102).request(family: AF_INET)
        #expect(Array(request[0..<2]) == [8, 0])
        #expect(Array(request[4..<8]) == [0xBE, 0xEF, 0x01, 0x02])
        #expect(Array(request[8...]) == ICMPEcho.payload)
        #expect(request.count == 8 + 16)
        #expect(InternetChecksum.compute(request) == 0)
        #expect(request[2] != 0 || request[3] != 0)
    }

    @Test func encodesAnIPv6EchoRequestLeavingTheChecksumToTheKernel() {
        let request = ICMPEcho(identifier: 0x0001, sequence: 0xFFFF).request(family: AF_INET6)
        #expect(Array(request[0..<8]) == [128, 0, 0, 0, 0x00, 0x01, 0xFF, 0xFF])
        #expect(Array(request[8...]) == ICMPEcho.payload)
    }

    @Test func parsesAnIPv4ReplyAfterItsIPHeader() throws {
        let echo = try ICMPEcho(reply: Self.ipv4(Self.replyV4(identifier: 0xBEEF, sequence: 9)), family: AF_INET)
        #expect(echo == ICMPEcho(identifier: 0xBEEF, sequence: 9))
        // IHL 7: two words of options are skipped.
        let withOptions = Self.ipv4(Self.replyV4(identifier: 1, sequence: 2), options: [1, 1, 1, 1, 1, 1, 1, 0])
        #expect(try ICMPEcho(reply: withOptions, family: AF_INET) == ICMPEcho(identifier: 1, sequence: 2))
        // Bytes past the IP total length are not part of the message.
        let padded = Self.ipv4(Self.replyV4(identifier: 3, sequence: 4)) + [0xDE, 0xAD]
        #expect(try ICMPEcho(reply: padded, family: AF_INET) == ICMPEcho(identifier: 3, sequence: 4))
    }

    @Test func parsesAnIPv6ReplyWithoutHeader() throws {
        let reply: [UInt8] = [129, 0, 0x12, 0x34, 0xAB, 0xCD, 0x00, 0x05, 1, 2, 3]
        #expect(try ICMPEcho(reply: reply, family: AF_INET6) == ICMPEcho(identifier: 0xABCD, sequence: 5))
        #expect(try ICMPEcho(reply: Array(reply[0..<8]), family: AF_INET6) == ICMPEcho(identifier: 0xABCD, sequence: 5))
    }

    @Test func rejectsWhatIsNotAnIPv4EchoReply() {
        let good = Self.replyV4(identifier: 7, sequence: 8)
        func error(_ packet: [UInt8]) -> ICMPPacketError? {
            do { _ = try ICMPEcho(reply: packet, family: AF_INET); return nil } catch { return error }
        }
        #expect(error([]) == .truncated)
        #expect(error(Array(Self.ipv4(good)[0..<19])) == .truncated)
        var notV4 = Self.ipv4(good); notV4[0] = 0x65
        #expect(error(notV4) == .badIPHeader)
        var shortIHL = Self.ipv4(good); shortIHL[0] = 0x44
        #expect(error(shortIHL) == .badIPHeader)
        var longIHL = Self.ipv4(good); longIHL[0] = 0x4F
        #expect(error(longIHL) == .badIPHeader)
        #expect(error(Self.ipv4(good, totalLengthDelta: 1)) == .truncated)
        #expect(error(Self.ipv4(good, totalLengthDelta: -good.count - 1)) == .badIPHeader)
        #expect(error(Self.ipv4(good, proto: 17)) == .notICMP)
        #expect(error(Self.ipv4(Array(good[0..<7]))) == .truncated)
        var request = good; request[0] = 8
        #expect(error(Self.ipv4(request)) == .notEchoReply(type: 8, code: 0))
        var unreachable = good; unreachable[0] = 3; unreachable[1] = 1
        #expect(error(Self.ipv4(unreachable)) == .notEchoReply(type: 3, code: 1))
        var corrupted = good; corrupted[9] ^= 0x40
        #expect(error(Self.ipv4(corrupted)) == .badChecksum)
    }

    @Test func rejectsWhatIsNotAnIPv6EchoReply() {
        func error(_ packet: [UInt8]) -> ICMPPacketError? {
            do { _ = try ICMPEcho(reply: packet, family: AF_INET6); return nil } catch { return error }
        }
        #expect(error([129, 0, 0, 0, 0, 1, 0]) == .truncated)
        #expect(error([128, 0, 0, 0, 0, 1, 0, 1]) == .notEchoReply(type: 128, code: 0))
        #expect(error([129, 1, 0, 0, 0, 1, 0, 1]) == .notEchoReply(type: 129, code: 1))
    }

    @Test func everyTruncationOrByteFlipOfAReplyIsAnErrorOrAValue() {
        // Never a trap: each prefix and each single-byte corruption parses or throws.
        let packet = Self.ipv4(Self.replyV4(identifier: 0x1234, sequence: 0x5678, payload: Array(0..<32)))
        for length in 0..<packet.count {
            #expect(throws: ICMPPacketError.self) { try ICMPEcho(reply: Array(packet[0..<length]), family: AF_INET) }
            _ = try? ICMPEcho(reply: Array(packet[0..<length]), family: AF_INET6)
        }
        for index in packet.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupted = packet
                corrupted[index] ^= flip
                _ = try? ICMPEcho(reply: corrupted, family: AF_INET)
            }
        }
    }

    @Test func pingFailureDescriptions() {
        #expect(PingFailure.timedOut.description == "no echo reply before the timeout")
        #expect(PingFailure.socket(Errno(EPERM)).description.contains("Operation not permitted"))
        #expect(PingFailure.unreachable("10.0.0.1: x").description == "unreachable: 10.0.0.1: x")
        #expect(Pinger.failure(sending: Errno(ENETUNREACH), to: IPAddress("10.0.0.1")!)
                == .unreachable("10.0.0.1: \(Errno(ENETUNREACH))"))
        #expect(Pinger.failure(sending: Errno(ENOBUFS), to: IPAddress("10.0.0.1")!) == .socket(Errno(ENOBUFS)))
    }
}
