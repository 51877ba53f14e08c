import CLinuxNet
import Glibc
@testable import Probes
import SystemCalls

/// Test helper: a hand-driven IPv4 peer on the loopback of a test namespace whose kernel is
/// told not to answer pings. A raw ICMP socket sees the echo requests sent there; the test
/// answers them itself — correctly or broken in a chosen way — from a chosen 127.x address.
/// Make it inside the namespace: its sockets live where they are made.
final class PingTestPeer {
    private let listener: Int32
    /// A raw ICMP socket bound to each address replies can come from.
    private var senders: [IPAddress: Int32] = [:]

    /// A peer that can answer from each of `sources` (loopback addresses).
    init(sources: [IPAddress]) throws {
        listener = try Sys.socket(AF_INET, clinuxnet_sock_raw(), Int32(IPPROTO_ICMP))
        try Sys.setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, timeval(tv_sec: 2, tv_usec: 0))
        for source in sources {
            let fd = try Sys.socket(AF_INET, clinuxnet_sock_raw(), Int32(IPPROTO_ICMP))
            senders[source] = fd
            try Endpoint(address: source, port: 0).withSockaddr { try Sys.bind(fd, $0, $1) }
        }
    }

    deinit {
        Sys.close(listener)
        senders.values.forEach(Sys.close)
    }

    /// Sets up `namespace` for the peer: loopback up, kernel echo replies off.
    static func prepare(_ namespace: PingTestNamespace) throws {
        try namespace.ip("link", "set", "lo", "up")
        try namespace.exec("/usr/sbin/sysctl", "-q", "-w", "net.ipv4.icmp_echo_ignore_all=1")
    }

    /// The identity of the next echo request sent to `destination` (waits at most 2 s).
    func nextRequest(to destination: IPAddress) throws -> ICMPEcho {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = try Sys.recv(listener, into: &buffer)
            let packet = Array(buffer[..<count])
            guard count >= 20 else { continue }
            let ihl = Int(packet[0] & 0x0F) * 4
            guard count >= ihl + 8, packet[9] == 1, packet[ihl] == 8,
                  IPAddress(bytes: Array(packet[16..<20])) == destination else { continue }
            return ICMPEcho(identifier: UInt16(packet[ihl + 4]) << 8 | UInt16(packet[ihl + 5]),
                            sequence: UInt16(packet[ihl + 6]) << 8 | UInt16(packet[ihl + 7]))
        }
    }

    /// An echo reply for `echo`; with `corruptChecksum`, one whose checksum does not verify.
    static func reply(_ echo: ICMPEcho, corruptChecksum: Bool = false) -> [UInt8] {
        var message: [UInt8] = [0, 0, 0, 0, UInt8(echo.identifier >> 8), UInt8(echo.identifier & 0xFF),
                                UInt8(echo.sequence >> 8), UInt8(echo.sequence & 0xFF)] + Array("reply".utf8)
        let checksum = InternetChecksum.compute(message) ^ (corruptChecksum ? 0x0101 : 0)
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xFF)
        return message
    }

    /// Sends the ICMP `message` (at least type and code) from `source`, one of those given at
    /// init, to 127.0.0.1.
    func send(_ message: [UInt8], from source: IPAddress) throws {
        guard let fd = senders[source] else { throw Errno.invalid }
        _ = try message.withUnsafeBytes { bytes in
            try Endpoint(address: .v4(127, 0, 0, 1), port: 0).withSockaddr { try Sys.sendto(fd, bytes, $0, $1) }
        }
    }
}
