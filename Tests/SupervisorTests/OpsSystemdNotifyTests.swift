import Glibc
@testable import Supervisor
import SystemCalls
import Testing

/// sd_notify against sockets the test owns: a path and an abstract name.
@Suite struct OpsSystemdNotifyTests {
    @Test func settingsFromTheEnvironment() {
        #expect(SystemdNotifier.settings(environment: [:], pid: 10) == nil)
        #expect(SystemdNotifier.settings(environment: ["NOTIFY_SOCKET": "relative"], pid: 10) == nil)
        let plain = SystemdNotifier.settings(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"], pid: 10)
        #expect(plain?.socket == "/run/systemd/notify")
        #expect(plain?.watchdog == nil)
        let dog = SystemdNotifier.settings(environment: ["NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "30000000"], pid: 10)
        #expect(dog?.watchdog == 15)
        #expect(SystemdNotifier.settings(environment: ["NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "30000000",
                                                       "WATCHDOG_PID": "10"], pid: 10)?.watchdog == 15)
        #expect(SystemdNotifier.settings(environment: ["NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "30000000",
                                                       "WATCHDOG_PID": "11"], pid: 10)?.watchdog == nil,
                "the watchdog of another process is not ours to feed")
    }

    /// A datagram socket bound to `name` (a path, or "@abstract"), receiving with a 2 s timeout.
    static func listener(_ name: String) throws -> Int32 {
        let fd = try Sys.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(2 + bytes.count + (bytes.first == 0 ? 0 : 1))
        try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try Sys.bind(fd, $0, length) }
        }
        try Sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(tv_sec: 2, tv_usec: 0))
        return fd
    }

    static func receive(_ fd: Int32) throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try Sys.recv(fd, into: &buffer)
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    @Test(arguments: ["path", "abstract"])
    func messagesArrive(kind: String) throws {
        let name = kind == "path" ? "/tmp/stunmeshd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                                  : "@stunmeshd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try Self.listener(name)
        defer {
            Sys.close(fd)
            if kind == "path" { try? Sys.unlink(name) }
        }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000"]))
        #expect(notifier.watchdogInterval == 1)
        try notifier.send("READY=1")
        try notifier.send("STATUS=1/1 peers up")
        try notifier.send(SystemdNotifier.reloadingMessage())
        #expect(try Self.receive(fd) == "READY=1")
        #expect(try Self.receive(fd) == "STATUS=1/1 peers up")
        let reloading = try Self.receive(fd)
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
    }
}
