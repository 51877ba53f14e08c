import CLinuxNet
import Glibc
import SystemCalls

/// The classic BPF program that lets a raw IPPROTO_UDP socket keep only STUN replies to one
/// port. Such a socket gets a copy of every inbound UDP datagram on the host; without the
/// filter it would wake us for all of WireGuard's traffic.
enum StunReplyFilter {
    /// Bytes the filter keeps of an accepted packet (all of any IP packet).
    static let acceptLength: UInt32 = 0xFFFF

    /// What a socket keeps, besides STUN (the cookie at UDP payload offset 4) to its port.
    enum Also: Sendable {
        /// Nothing else: discovery's sockets.
        case nothing
        /// WireGuard handshake initiations too (first 32 bits 0x01000000: type 1 and three
        /// reserved zero bytes): the opening's listener, which learns from them that the
        /// partner's initiation got in (docs/first-contact.md).
        case handshakeInitiations
    }

    /// The first 32 bits of a WireGuard handshake initiation, read big-endian.
    static let initiationWord: UInt32 = 0x0100_0000

    /// The program for a raw socket of `family`. An AF_INET socket's filter sees the packet
    /// from its IPv4 header; an AF_INET6 socket's filter sees it from the UDP header (the kernel
    /// has already consumed the IPv6 header and reassembled any fragments), so the two programs
    /// differ in their offsets and in what they must check themselves.
    static func program(family: IPFamily, localPort: UInt16, also: Also = .nothing) -> [sock_filter] {
        family == .ipv4 ? ipv4Program(localPort: localPort, also: also) : ipv6Program(localPort: localPort, also: also)
    }

    /// Offsets relative to the IPv4 header: accept when the packet is IPv4, not a fragment (no
    /// MF flag, zero offset), UDP, to `localPort`, and the 32 bits at UDP payload offset 4 are
    /// the STUN magic cookie (or, with `.handshakeInitiations`, those at offset 0 are an
    /// initiation's); drop everything else.
    static func ipv4Program(localPort: UInt16, also: Also = .nothing) -> [sock_filter] {
        let extra: UInt8 = also == .handshakeInitiations ? 2 : 0
        var program = [
            /* 0 */ statement(BPF_LD | BPF_B | BPF_ABS, 0),                    // A = version/IHL
            /* 1 */ statement(BPF_ALU | BPF_AND | BPF_K, 0xF0),
            /* 2 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 9 + extra),       // IPv4?
            /* 3 */ statement(BPF_LD | BPF_H | BPF_ABS, 6),                    // A = flags/fragment offset
            /* 4 */ jump(BPF_JMP | BPF_JSET | BPF_K, 0x3FFF, 7 + extra, 0),    // MF or offset: a fragment
            /* 5 */ statement(BPF_LD | BPF_B | BPF_ABS, 9),                    // A = protocol
            /* 6 */ jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(IPPROTO_UDP), 0, 5 + extra),
            /* 7 */ statement(BPF_LDX | BPF_B | BPF_MSH, 0),                   // X = IHL * 4
            /* 8 */ statement(BPF_LD | BPF_H | BPF_IND, 2),                    // A = UDP destination port
            /* 9 */ jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(localPort), 0, 2 + extra),
            /* 10 */ statement(BPF_LD | BPF_W | BPF_IND, UInt32(UDPWire.headerSize + 4)), // A = cookie
            /* 11 */ jump(BPF_JMP | BPF_JEQ | BPF_K, StunMessage.magicCookie, 1 + extra, 0),
        ]
        if also == .handshakeInitiations {
            program += [
                statement(BPF_LD | BPF_W | BPF_IND, UInt32(UDPWire.headerSize)), // A = payload's first word
                jump(BPF_JMP | BPF_JEQ | BPF_K, initiationWord, 1, 0),
            ]
        }
        return program + [
            statement(BPF_RET | BPF_K, 0),                                     // drop
            statement(BPF_RET | BPF_K, acceptLength),                          // accept
        ]
    }

    /// Offsets relative to the UDP header (all an AF_INET6 raw socket sees): accept when the
    /// destination port is `localPort` and the STUN magic cookie follows at payload offset 4
    /// (or an initiation's first word at offset 0); a datagram too short to hold it fails the
    /// load and is dropped.
    static func ipv6Program(localPort: UInt16, also: Also = .nothing) -> [sock_filter] {
        let extra: UInt8 = also == .handshakeInitiations ? 2 : 0
        var program = [
            /* 0 */ statement(BPF_LD | BPF_H | BPF_ABS, 2),                    // A = UDP destination port
            /* 1 */ jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(localPort), 0, 2 + extra),
            /* 2 */ statement(BPF_LD | BPF_W | BPF_ABS, UInt32(UDPWire.headerSize + 4)), // A = cookie
            /* 3 */ jump(BPF_JMP | BPF_JEQ | BPF_K, StunMessage.magicCookie, 1 + extra, 0),
        ]
        if also == .handshakeInitiations {
            program += [
                statement(BPF_LD | BPF_W | BPF_ABS, UInt32(UDPWire.headerSize)),
                jump(BPF_JMP | BPF_JEQ | BPF_K, initiationWord, 1, 0),
            ]
        }
        return program + [
            statement(BPF_RET | BPF_K, 0),                                     // drop
            statement(BPF_RET | BPF_K, acceptLength),                          // accept
        ]
    }

    /// Attaches the program for `family` to `fd` with SO_ATTACH_FILTER.
    static func attach(to fd: Int32, family: IPFamily, localPort: UInt16, also: Also = .nothing) throws(Errno) {
        try Sys.attachFilter(fd, program(family: family, localPort: localPort, also: also))
    }

    private static func statement(_ code: Int32, _ k: UInt32) -> sock_filter {
        sock_filter(code: UInt16(code), jt: 0, jf: 0, k: k)
    }

    private static func jump(_ code: Int32, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> sock_filter {
        sock_filter(code: UInt16(code), jt: jt, jf: jf, k: k)
    }
}
