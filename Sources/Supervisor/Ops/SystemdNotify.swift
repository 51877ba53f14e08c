import Glibc
import SystemCalls

/// sd_notify(3) without libsystemd: datagrams such as "READY=1" to the unix socket systemd
/// names in $NOTIFY_SOCKET, so that a Type=notify unit knows when stunmeshd is up, what it is
/// doing (STATUS=…), that it is still alive (WATCHDOG=1) and when it stops. A name starting
/// with '@' is in the abstract namespace. Made only when systemd asked for it.
final class SystemdNotifier {
    /// The socket path as given (systemd's /run/systemd/notify, or "@name").
    let socketPath: String
    /// Seconds between two WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
    /// advises; nil when no watchdog applies to this process.
    let watchdogInterval: Double?
    private let fd: Int32

    /// What the environment asks for: the socket and the watchdog interval. Nil without a
    /// usable $NOTIFY_SOCKET (unset, empty, not absolute or abstract, too long). The watchdog
    /// applies only when $WATCHDOG_PID is unset or is `pid`.
    static func settings(environment: [String: String], pid: pid_t) -> (socket: String, watchdog: Double?)? {
        guard let socket = environment["NOTIFY_SOCKET"], socket.hasPrefix("/") || socket.hasPrefix("@"),
              socket.utf8.count >= 2, socket.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            return nil
        }
        var watchdog: Double?
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            watchdog = Double(usec) / 2_000_000
        }
        return (socket, watchdog)
    }

    /// A notifier for the socket in `environment`; nil when systemd did not ask (or the socket
    /// cannot be made).
    init?(environment: [String: String]) {
        guard let settings = Self.settings(environment: environment, pid: Sys.getpid()),
              let fd = try? Sys.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0) else { return nil }
        self.fd = fd
        socketPath = settings.socket
        watchdogInterval = settings.watchdog
    }

    deinit { Sys.close(fd) }

    /// Sends one notification ("READY=1", "STATUS=…", several lines joined by "\n").
    func send(_ message: String) throws(Errno) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        // Abstract names are exactly as long as given; a path carries its terminating NUL.
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { buffer in
                    Result { () throws(Errno) -> Int in try Sys.sendto(fd, buffer, flags: Int32(MSG_NOSIGNAL), sa, length) }
                }
            }
        }
        _ = try result.get()
    }

    /// "RELOADING=1" with the monotonic time systemd wants beside it (Type=notify-reload).
    static func reloadingMessage() -> String {
        "RELOADING=1\nMONOTONIC_USEC=\(WallClock.monotonicMicroseconds())"
    }
}
