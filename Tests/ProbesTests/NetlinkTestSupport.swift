import CLinuxNet
import EventLoop
import Glibc
@testable import Probes
import SystemCalls

/// Bytes from hex, ignoring whitespace (captured datagrams are wrapped); nil on a bad digit.
func netlinkBytes(hex: String) -> [UInt8]? {
    let digits = hex.utf8.filter { $0 != 0x20 && $0 != 0x0a }
    guard digits.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(byte)
        index += 2
    }
    return bytes
}

extension NetworkView {
    /// Applies a whole datagram given as bytes.
    mutating func apply(bytes: [UInt8]) throws(NetlinkError) -> [NetworkChange] {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(NetlinkError) -> [NetworkChange] in try self.apply(raw) }
        }
        return try result.get()
    }
}

/// A network namespace made for one test with `ip netns add`, so that links, addresses and
/// routes can be changed without touching the host's. `delete()` it in a defer.
final class TestNetworkNamespace {
    /// The namespace's name under /var/run/netns.
    let name: String

    /// Creates namespace "nlt<pid><tag>".
    init(tag: String) throws {
        name = "nlt\(getpid())\(tag)"
        try run(["/usr/sbin/ip", "netns", "add", name])
    }

    /// Deletes the namespace and everything in it.
    func delete() {
        try? run(["/usr/sbin/ip", "netns", "del", name])
    }

    /// Runs `ip -n <name> arguments…` to completion.
    func ip(_ arguments: String...) throws {
        try run(["/usr/sbin/ip", "-n", name] + arguments)
    }

    /// Runs `ip -n <name> -batch -` with `commands` (one per line) on stdin.
    func ipBatch(_ commands: [String]) throws {
        try run(["/usr/sbin/ip", "-n", name, "-batch", "-"], stdin: commands.joined(separator: "\n") + "\n")
    }

    /// Runs `body` with the calling thread inside the namespace (network namespaces are per
    /// thread), and moves the thread back before returning. Sockets made in `body` stay in the
    /// namespace.
    func inside<R>(_ body: () throws -> R) throws -> R {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw Errno.current }
        defer { close(home) }
        let target = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Errno.current }
        defer { close(target) }
        try setNetworkNamespace(target)
        defer {
            // A test thread left in the namespace would run other tests there: never allowed.
            do { try setNetworkNamespace(home) } catch { fatalError("cannot return to the original network namespace: \(error)") }
        }
        return try body()
    }

    private func run(_ argv: [String], stdin: String? = nil) throws {
        let pid = try spawn(argv, stdin: stdin)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw Errno(EIO) }
    }
}

/// Runs `loop` until `condition` holds or `timeout` seconds pass (a safety timer bounds every
/// wait); returns whether the condition holds.
@discardableResult
func runLoop(_ loop: EventLoop, timeout: Double = 5, until condition: () -> Bool) -> Bool {
    var expired = false
    let safety = TimerWatcher(loop: loop) { expired = true }
    safety.start(after: timeout)
    defer { safety.stop() }
    while !condition() && !expired { loop.runOnce() }
    return condition()
}

/// setns(2) with CLONE_NEWNET: moves the calling thread (only it; namespaces are per thread) into
/// the network namespace `fd` refers to (a /var/run/netns/<name> or /proc/…/ns/net descriptor).
/// Sockets the thread creates afterwards live there. Test-only: the daemon never changes
/// namespace.
func setNetworkNamespace(_ fd: Int32) throws(Errno) {
    // CLONE_NEWNET, which Glibc's module does not export (it is a _GNU_SOURCE name).
    let cloneNewNet: Int32 = 0x4000_0000
    guard clinuxnet_setns(fd, cloneNewNet) == 0 else { throw Errno.current }
}
