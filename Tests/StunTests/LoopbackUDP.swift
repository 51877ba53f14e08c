import CLinuxNet
import Glibc
import SystemCalls

/// Plain UDP sockets on 127.0.0.1 or ::1 for the transport tests: a WireGuard stand-in holding a
/// port, a test STUN server, a sender of stray datagrams.
final class LoopbackUDPSocket {
    let fd: Int32
    let port: UInt16
    let family: IPFamily

    /// A UDP socket bound to 127.0.0.1 (or ::1) on an ephemeral port, or on `port` when given.
    init(family: IPFamily = .ipv4, port wanted: UInt16 = 0, nonBlocking: Bool = true) throws {
        let fd = try Sys.socket(family.socketFamily, clinuxnet_sock_dgram(), 0)
        self.fd = fd
        self.family = family
        do {
            try Endpoint(address: Self.loopback(family), port: wanted).withSockaddr { try Sys.bind(fd, $0, $1) }
        } catch {
            Sys.close(fd)
            throw error
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let local = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                try Sys.getsockname(fd, address, &length)
                return Endpoint(sockaddr: address)!
            }
        }
        port = local.port
        if nonBlocking { try Sys.setNonBlocking(fd) }
    }

    deinit { Sys.close(fd) }

    static func loopback(_ family: IPFamily) -> IPAddress {
        family == .ipv4 ? .v4(127, 0, 0, 1) : IPAddress("::1")!
    }

    var endpoint: Endpoint { Endpoint(address: Self.loopback(family), port: port) }

    func send(_ bytes: [UInt8], to destination: Endpoint) throws {
        _ = try bytes.withUnsafeBytes { buffer in
            try destination.withSockaddr { try Sys.sendto(fd, buffer, $0, $1) }
        }
    }

    /// The next datagram and its sender, or nil when none is queued.
    func receive() throws -> (bytes: [UInt8], from: Endpoint)? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        do {
            let (count, from) = try buffer.withUnsafeMutableBytes { bytes in
                try withUnsafeMutablePointer(to: &storage) { pointer in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        let count = try Sys.recvfrom(fd, bytes, address, &length)
                        return (count, Endpoint(sockaddr: address)!)
                    }
                }
            }
            return (Array(buffer[..<count]), from)
        } catch let error as Errno where error == .wouldBlock {
            return nil
        }
    }

    /// Polls for a datagram for up to `timeout` seconds.
    func receive(within timeout: Double) throws -> (bytes: [UInt8], from: Endpoint)? {
        for _ in 0..<Int(timeout * 100) {
            if let datagram = try receive() { return datagram }
            usleep(10_000)
        }
        return try receive()
    }
}
