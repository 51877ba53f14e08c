import CLinuxNet
import Glibc
import SystemCalls

/// One raw ICMP (AF_INET) or ICMPv6 (AF_INET6) socket bound to a network interface with
/// SO_BINDTODEVICE, so that echo requests leave through that interface (the WireGuard tunnel)
/// whatever the routing table says, and only packets arriving on it are read. A kernel filter
/// passes only echo replies (ICMP_FILTER for IPv4, ICMP6_FILTER for IPv6); the parser checks
/// again. Non-blocking; needs CAP_NET_RAW; closed when released.
final class PingSocket {
    /// The raw socket.
    let fd: Int32
    /// AF_INET or AF_INET6.
    let family: Int32

    /// `ICMP_FILTER` of <linux/icmp.h> (level SOL_RAW), which cannot be included next to
    /// <netinet/ip_icmp.h>: a 32-bit mask of the ICMPv4 types the socket does not receive.
    private static let icmpFilterOption: Int32 = 1

    /// Opens the socket for `family` on `interface`. Names that no interface can have (empty,
    /// longer than IFNAMSIZ - 1, with a NUL) fail with ENODEV rather than binding to the
    /// kernel's truncation of them, or (empty) to no interface at all.
    init(interface: String, family: Int32) throws(Errno) {
        let name = Array(interface.utf8)
        guard !name.isEmpty, name.count < Int(IFNAMSIZ), !name.contains(0) else { throw Errno(ENODEV) }
        let proto = family == AF_INET6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        let fd = try Sys.socket(family, clinuxnet_sock_raw(), proto)
        do {
            try (name + [0]).withUnsafeBytes { bytes in
                Result { () throws(Errno) in try Sys.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bytes: bytes) }
            }.get()
            if family == AF_INET6 {
                try Sys.setsockopt(fd, Int32(IPPROTO_ICMPV6), ICMP6_FILTER, Self.echoReplyOnlyV6())
            } else {
                let blocked: UInt32 = ~(1 << UInt32(ICMPEcho.echoReplyV4))
                try Sys.setsockopt(fd, SOL_RAW, Self.icmpFilterOption, blocked)
            }
            try Sys.setNonBlocking(fd)
        } catch {
            Sys.close(fd)
            throw error
        }
        self.fd = fd
        self.family = family
        drain()
    }

    deinit { Sys.close(fd) }

    /// An ICMPv6 filter that blocks every type but echo reply (ICMP6_FILTER_SETBLOCKALL then
    /// ICMP6_FILTER_SETPASS, which are macros Swift cannot call).
    private static func echoReplyOnlyV6() -> icmp6_filter {
        var filter = icmp6_filter()
        withUnsafeMutableBytes(of: &filter) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for index in words.indices { words[index] = .max }
            let type = Int(ICMPEcho.echoReplyV6)
            words[type >> 5] &= ~(1 << UInt32(type & 31))
        }
        return filter
    }

    /// Sends one ICMP message to `target` (the kernel adds the IP header).
    func send(_ message: [UInt8], to target: IPAddress) throws(Errno) {
        try Sys.send(fd, message, to: Endpoint(address: target, port: 0))
    }

    /// The next queued packet (with its IPv4 header for AF_INET) and the address it came from
    /// (nil if the kernel gave none of a known family), or nil when none is queued.
    func receive() throws(Errno) -> (packet: [UInt8], source: IPAddress?)? {
        guard let (bytes, sender) = try Sys.receiveDatagram(fd) else { return nil }
        return (bytes, sender)
    }

    /// Discards what was queued before the interface binding and filter were in place.
    private func drain() {
        while true {
            do {
                guard try receive() != nil else { return }
            } catch {
                return
            }
        }
    }
}
