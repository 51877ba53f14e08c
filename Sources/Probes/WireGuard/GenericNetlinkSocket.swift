import CLinuxNet
import CLibMNL
import Glibc
import SystemCalls

/// A NETLINK_GENERIC socket for one request/reply exchange at a time: send a request, read
/// datagrams until its reply is complete. Blocking with a receive timeout, so a call never holds
/// the loop longer than `timeout` (the kernel answers in microseconds).
final class GenericNetlinkSocket {
    /// Room for one dump datagram: the kernel fills up to 32 KiB per part for large readers.
    static let receiveSize = 32 * 1024
    private let fd: Int32

    /// Opens and binds the socket (the kernel picks the port id).
    init(timeout: Double) throws(WireGuardError) {
        do { fd = try Sys.socket(AF_NETLINK, clinuxnet_sock_raw(), NETLINK_GENERIC) } catch {
            throw .system("socket(AF_NETLINK)", error)
        }
        do {
            let tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
            try Sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv)
            try Sys.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv)
            var local = sockaddr_nl()
            local.nl_family = sa_family_t(AF_NETLINK)
            try withUnsafePointer(to: &local) { (pointer) throws(Errno) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) in
                    try Sys.bind(fd, address, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        } catch {
            Sys.close(fd)
            throw .system("netlink socket setup", error)
        }
    }

    deinit { Sys.close(fd) }

    /// Sends `request` (whose sequence number is `sequence`) to the kernel and returns the
    /// complete reply.
    func exchange(_ request: [UInt8], sequence: UInt32) throws(WireGuardError) -> NetlinkReplyCollector {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = withUnsafePointer(to: &kernel) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                request.withUnsafeBytes { bytes in
                    Result { () throws(Errno) -> Int in
                        try Sys.sendto(fd, bytes, address, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        switch sent {
        case .success(let count) where count == request.count: break
        case .success(let count): throw .malformed("netlink request sent \(count) of \(request.count) bytes")
        case .failure(let e): throw .system("sendto(netlink)", e)
        }

        var collector = NetlinkReplyCollector(sequence: sequence)
        var buffer = [UInt8](repeating: 0, count: Self.receiveSize)
        while !collector.isFinished {
            let received = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) -> Int in try Sys.recvfrom(fd, raw, flags: Int32(MSG_TRUNC), nil, nil) }
            }
            let count: Int
            switch received {
            case .success(let n): count = n
            case .failure(let e): throw .system("recv(netlink)", e)
            }
            guard count <= buffer.count else { throw .malformed("netlink datagram of \(count) bytes truncated") }
            guard count > 0 else { throw .malformed("netlink reply ended early") }
            try collector.add(datagram: Array(buffer[..<count]))
        }
        return collector
    }
}
