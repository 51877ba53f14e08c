import CLinuxNet
import Glibc

// Every syscall the daemon makes goes through this file: one typed wrapper per call, each one
// (1) routed through `funnel` so tests can script its result, (2) retried on EINTR, and
// (3) throwing a typed `Errno`. Non-blocking callers see `.wouldBlock` as an error to catch.

/// Runs a syscall-returning-minus-one-on-error through the funnel, retrying EINTR.
@inline(__always)
func retrying<T: BinaryInteger>(_ name: String, _ body: () -> T) throws(Errno) -> T {
    while true {
        let result = funnel(name, body)
        if result != -1 { return result }
        let e = Errno.current
        if e == .interrupted { continue }
        throw e
    }
}

/// Namespace of the wrapped syscalls.
public enum Sys {
    /// socket(2), always with SOCK_CLOEXEC added.
    public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(Errno) -> Int32 {
        try retrying("socket") { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto) }
    }

    /// close(2). Not retried on EINTR: on Linux the descriptor is gone either way.
    public static func close(_ fd: Int32) {
        _ = funnel("close") { Glibc.close(fd) }
    }

    /// bind(2) with any sockaddr.
    public static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(Errno) {
        _ = try retrying("bind") { Glibc.bind(fd, address, length) }
    }

    /// connect(2) with any sockaddr.
    public static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(Errno) {
        _ = try retrying("connect") { Glibc.connect(fd, address, length) }
    }

    /// sendto(2): returns the bytes sent.
    public static func sendto(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, flags: Int32 = 0,
                              _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) throws(Errno) -> Int {
        try retrying("sendto") { Glibc.sendto(fd, buffer.baseAddress, buffer.count, flags, address, length) }
    }

    /// send(2) on a connected socket: returns the bytes sent.
    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, flags: Int32 = 0) throws(Errno) -> Int {
        try retrying("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// recvfrom(2): returns the bytes received; fills `address` when given.
    public static func recvfrom(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0,
                                _ address: UnsafeMutablePointer<sockaddr>?,
                                _ length: UnsafeMutablePointer<socklen_t>?) throws(Errno) -> Int {
        try retrying("recvfrom") { Glibc.recvfrom(fd, buffer.baseAddress, buffer.count, flags, address, length) }
    }

    /// recv(2) on a connected socket: returns the bytes received, 0 at end of stream.
    public static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) throws(Errno) -> Int {
        try retrying("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// recv(2) into a whole array: returns the bytes received, 0 at end of stream.
    public static func recv(_ fd: Int32, into buffer: inout [UInt8], flags: Int32 = 0) throws(Errno) -> Int {
        try buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) -> Int in try recv(fd, raw, flags: flags) } }.get()
    }

    /// read(2) into a whole array: returns the bytes read, 0 at end of file.
    public static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(Errno) -> Int {
        try buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) -> Int in try read(fd, raw) } }.get()
    }

    /// read(2): returns the bytes read, 0 at end of file.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// write(2): returns the bytes written (possibly fewer than given).
    public static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retrying("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// write(2) until every byte is written (blocking descriptors: files, pipes to children).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) -> Int in try write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            offset += try result.get()
        }
    }

    /// setsockopt(2) with a plain value (an Int32 flag, a struct).
    public static func setsockopt<T: BitwiseCopyable>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T) throws(Errno) {
        _ = try retrying("setsockopt") {
            withUnsafeBytes(of: value) { Glibc.setsockopt(fd, level, name, $0.baseAddress, socklen_t($0.count)) }
        }
    }

    /// setsockopt(2) with raw bytes (a BPF program descriptor, an interface name).
    public static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, bytes: UnsafeRawBufferPointer) throws(Errno) {
        _ = try retrying("setsockopt") {
            Glibc.setsockopt(fd, level, name, bytes.baseAddress, socklen_t(bytes.count))
        }
    }

    /// setsockopt(2) SO_ATTACH_FILTER: attaches a classic BPF program to a socket.
    public static func attachFilter(_ fd: Int32, _ program: [sock_filter]) throws(Errno) {
        var instructions = program
        let result = instructions.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(Errno) in
                try setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, sock_fprog(len: UInt16(buffer.count), filter: buffer.baseAddress))
            }
        }
        try result.get()
    }

    /// getsockname(2): the local address of a socket.
    public static func getsockname(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>,
                                   _ length: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try retrying("getsockname") { Glibc.getsockname(fd, address, length) }
    }

    /// if_nametoindex(3): the index of the interface called `name`.
    public static func interfaceIndex(_ name: String) throws(Errno) -> Int32 {
        let index = funnel("if_nametoindex") { Int64(if_nametoindex(name)) }
        guard index > 0 else { throw Errno.current }  // 0 with errno set (ENODEV); a scripted failure, -1
        return Int32(index)
    }

    /// fcntl(2) F_SETFL O_NONBLOCK: makes a descriptor non-blocking.
    public static func setNonBlocking(_ fd: Int32) throws(Errno) {
        let flags = try retrying("fcntl") { Glibc.fcntl(fd, F_GETFL) }
        _ = try retrying("fcntl") { Glibc.fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// open(2), always with O_CLOEXEC added.
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(Errno) -> Int32 {
        try retrying("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// rename(2): atomically replaces `to` with `from` on the same file system.
    public static func rename(_ from: String, _ to: String) throws(Errno) {
        _ = try retrying("rename") { Glibc.rename(from, to) }
    }

    /// unlink(2).
    public static func unlink(_ path: String) throws(Errno) {
        _ = try retrying("unlink") { Glibc.unlink(path) }
    }

    /// mkdir(2); an existing directory is not an error.
    public static func mkdir(_ path: String, _ mode: mode_t = 0o755) throws(Errno) {
        do { _ = try retrying("mkdir") { Glibc.mkdir(path, mode) } } catch where error.rawValue == EEXIST {}
    }

    /// fsync(2).
    public static func fsync(_ fd: Int32) throws(Errno) {
        _ = try retrying("fsync") { Glibc.fsync(fd) }
    }

    /// pipe2(2) with O_CLOEXEC: returns (read end, write end).
    public static func pipe() throws(Errno) -> (read: Int32, write: Int32) {
        var fds: (Int32, Int32) = (-1, -1)
        _ = try retrying("pipe2") {
            withUnsafeMutableBytes(of: &fds) { clinuxnet_pipe2($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
        }
        return (fds.0, fds.1)
    }

    /// kill(2).
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(Errno) {
        _ = try retrying("kill") { Glibc.kill(pid, signal) }
    }

    /// waitpid(2) with WNOHANG: the exit status if the child has exited, nil if it still runs.
    public static func waitpidNoHang(_ pid: pid_t) throws(Errno) -> Int32? {
        var status: Int32 = 0
        let r = try retrying("waitpid") { Glibc.waitpid(pid, &status, WNOHANG) }
        return r == 0 ? nil : status
    }

    /// pidfd_open(2): a descriptor that polls readable when `pid` exits.
    public static func pidfdOpen(_ pid: pid_t) throws(Errno) -> Int32 {
        try retrying("pidfd_open") { clinuxnet_pidfd_open(pid) }
    }
}
