import CLinuxNet
import Glibc

// Datagram helpers over the raw wrappers, for the raw sockets of STUN, the punch and ping: the
// sockaddr plumbing lives here once.

extension Sys {
    /// sendto(2) of `bytes` to `destination` (its port is 0 for raw sockets).
    public static func send(_ fd: Int32, _ bytes: [UInt8], to destination: Endpoint) throws(Errno) {
        let sent = bytes.withUnsafeBytes { raw in
            destination.withSockaddr { address, length in
                Result { () throws(Errno) -> Int in try sendto(fd, raw, address, length) }
            }
        }
        _ = try sent.get()
    }

    /// recvfrom(2) of the next queued datagram (at most `maximum` bytes) and the address it came
    /// from (nil when the kernel gave none of a known family); nil when nothing is queued
    /// (EAGAIN on a non-blocking socket).
    public static func receiveDatagram(_ fd: Int32, maximum: Int = 2048) throws(Errno) -> (bytes: [UInt8], sender: IPAddress?)? {
        var buffer = [UInt8](repeating: 0, count: maximum)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let received = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    Result { () throws(Errno) -> (Int, IPAddress?) in
                        let count = try recvfrom(fd, bytes, address, &length)
                        return (count, Endpoint(sockaddr: address)?.address)
                    }
                }
            }
        }
        do {
            let (count, sender) = try received.get()
            return (Array(buffer[..<min(count, buffer.count)]), sender)
        } catch .wouldBlock {
            return nil
        }
    }
}

extension Sys {
    /// Whether this host has a route to `endpoint` now, for packets carrying `mark` (WireGuard's
    /// fwmark; 0: none): a UDP socket of its family is connected to it — the kernel's route lookup,
    /// no packet sent — and closed. False when the family has no route (ENETUNREACH, EHOSTUNREACH)
    /// or no support at all (EAFNOSUPPORT); true on any other outcome, so that a doubtful answer
    /// never hides an endpoint.
    public static func hasRoute(to endpoint: Endpoint, mark: UInt32 = 0) -> Bool {
        let fd: Int32
        do {
            fd = try socket(endpoint.address.isIPv4 ? AF_INET : AF_INET6, clinuxnet_sock_dgram(), 0)
        } catch {
            return error != Errno(EAFNOSUPPORT)
        }
        defer { close(fd) }
        if mark != 0 { try? setsockopt(fd, SOL_SOCKET, SO_MARK, mark) }
        let result = endpoint.withSockaddr { address, length in
            Result { () throws(Errno) in try connect(fd, address, length) }
        }
        if case .failure(let error) = result { return error != Errno(ENETUNREACH) && error != Errno(EHOSTUNREACH) }
        return true
    }
}
