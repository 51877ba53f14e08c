import CLinuxNet
import Glibc
import SystemCalls

/// One raw IPPROTO_UDP socket of one family that sends STUN requests from WireGuard's port
/// without binding it and reads the replies. Sending: the kernel writes the IP header, we write
/// the UDP header with WireGuard's port as source and its checksum (over the IPv4 or IPv6
/// pseudo-header; IPv6 requires it). Receiving: such a socket gets a copy of every inbound UDP
/// datagram of its family, narrowed by `StunReplyFilter` to STUN replies to that port;
/// WireGuard gets its own copy and drops it. Non-blocking; closed when released.
final class StunRawSocket {
    /// The raw socket.
    let fd: Int32
    /// IPv4 or IPv6: the family of everything sent and received here.
    let family: IPFamily
    /// WireGuard's listen port: our source port, the replies' destination port.
    let localPort: UInt16
    /// SO_MARK for sending and for source address lookup (0: none), so policy routing picks
    /// the same route as WireGuard's own packets.
    let fwmark: UInt32

    /// Opens the socket (needs CAP_NET_RAW), marks it, attaches the filter, then drains what
    /// arrived before the filter was in place.
    init(family: IPFamily = .ipv4, localPort: UInt16, fwmark: UInt32,
         also: StunReplyFilter.Also = .nothing) throws(Errno) {
        let fd = try Sys.socket(family.socketFamily, clinuxnet_sock_raw(), Int32(IPPROTO_UDP))
        do {
            if fwmark != 0 { try Sys.setsockopt(fd, SOL_SOCKET, SO_MARK, fwmark) }
            try Sys.setNonBlocking(fd)
            try StunReplyFilter.attach(to: fd, family: family, localPort: localPort, also: also)
        } catch {
            Sys.close(fd)
            throw error
        }
        self.fd = fd
        self.family = family
        self.localPort = localPort
        self.fwmark = fwmark
        drain()
    }

    deinit { Sys.close(fd) }

    /// The source address the kernel will use toward `server`: a throwaway UDP socket of the
    /// same family (marked like ours) is connected there, which only consults routing, and
    /// asked for its address.
    func sourceAddress(toward server: Endpoint) throws(Errno) -> IPAddress {
        guard server.address.ipFamily == family else { throw .invalid }
        let probe = try Sys.socket(family.socketFamily, clinuxnet_sock_dgram(), 0)
        defer { Sys.close(probe) }
        if fwmark != 0 { try Sys.setsockopt(probe, SOL_SOCKET, SO_MARK, fwmark) }
        let connected = server.withSockaddr { address, length in
            Result { () throws(Errno) in try Sys.connect(probe, address, length) }
        }
        try connected.get()
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let local = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                Result { () throws(Errno) -> Endpoint? in
                    try Sys.getsockname(probe, address, &length)
                    return Endpoint(sockaddr: address)
                }
            }
        }
        guard let endpoint = try local.get() else { throw .invalid }
        return endpoint.address
    }

    /// Sends `payload` as a UDP datagram from `source`:`localPort` to `server` (both of this
    /// socket's family).
    func send(_ payload: [UInt8], from source: IPAddress, to server: Endpoint) throws(Errno) {
        guard source.ipFamily == family, server.address.ipFamily == family else { throw .invalid }
        let datagram = UDPWire.datagram(from: Endpoint(address: source, port: localPort), to: server, payload: payload)
        // A raw socket's destination port must be 0 (or, for IPv6, the protocol): the UDP
        // header carries the real one.
        let destination = Endpoint(address: server.address, port: 0)
        try Sys.send(fd, datagram, to: destination)
    }

    /// The next queued packet (IPv4: IP header included; IPv6: from the UDP header) and the
    /// address it came from, or nil when none is queued.
    func receive() throws(Errno) -> (bytes: [UInt8], sender: IPAddress?)? {
        try Sys.receiveDatagram(fd)
    }

    /// The next queued STUN-looking datagram, parsed, or nil when none is queued; packets that
    /// are not whole UDP are skipped.
    func receiveDatagram() throws(Errno) -> ReceivedUDPPacket? {
        while let (bytes, sender) = try receive() {
            if let udp = ReceivedUDPPacket(rawSocketPacket: bytes, family: family, sender: sender) { return udp }
        }
        return nil
    }

    /// Discards every queued packet (those that slipped in before the filter was attached).
    func drain() {
        while true {
            do {
                guard try receive() != nil else { return }
            } catch {
                return
            }
        }
    }
}
