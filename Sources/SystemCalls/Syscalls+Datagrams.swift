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
