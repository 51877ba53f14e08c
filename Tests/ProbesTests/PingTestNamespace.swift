import Glibc
import SystemCalls

/// Test helper: a throwaway network namespace (`ip netns add`), configured with `ip -n`, and a
/// way to run code inside it on the current thread only (setns is per thread), so sockets made
/// there live there. `delete()` must be called (use `defer`).
final class PingTestNamespace {
    let name: String

    /// CLONE_NEWNET of <sched.h> (hidden from Swift without _GNU_SOURCE).
    private static let cloneNewNet: Int32 = 0x4000_0000

    init() throws {
        name = "pingtest-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try Self.run(["/usr/sbin/ip", "netns", "add", name])
    }

    /// `ip -n <name> <arguments>`; throws if it fails.
    func ip(_ arguments: String...) throws {
        try Self.run(["/usr/sbin/ip", "-n", name] + arguments)
    }

    /// `ip netns exec <name> <argv>`; throws if it fails.
    func exec(_ argv: String...) throws {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name] + argv)
    }

    /// Removes the namespace (and with it every interface made in it).
    func delete() {
        try? Self.run(["/usr/sbin/ip", "netns", "delete", name])
    }

    /// Runs `body` with this thread in the namespace, then puts the thread back.
    func inside<R>(_ body: () throws -> R) throws -> R {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw Errno.current }
        defer { Glibc.close(home) }
        let target = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Errno.current }
        defer { Glibc.close(target) }
        guard Self.setns(target, Self.cloneNewNet) == 0 else { throw Errno.current }
        defer {
            if Self.setns(home, Self.cloneNewNet) != 0 { fatalError("cannot return to the test's network namespace") }
        }
        return try body()
    }

    /// setns(2), looked up at run time: glibc declares it only under _GNU_SOURCE.
    private static func setns(_ fd: Int32, _ type: Int32) -> Int32 {
        guard let symbol = dlsym(nil, "setns") else { return -1 }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)(fd, type)
    }

    private static func run(_ argv: [String]) throws {
        let pid = try spawn(argv)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw Errno(EIO) }
    }
}
