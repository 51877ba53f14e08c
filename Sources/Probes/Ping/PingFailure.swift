import SystemCalls

/// Why one ping got no answer. It exists so the ping monitor can tell a silent peer (the tunnel
/// is down) from a local problem (no route, no socket) and log which.
public enum PingFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// No echo reply arrived within the timeout.
    case timedOut
    /// The socket could not be made or used (no CAP_NET_RAW, no such interface, ENOBUFS…).
    case socket(Errno)
    /// The kernel refused to send toward the target: no route, network or host unreachable.
    case unreachable(String)

    /// What went wrong, for logs.
    public var description: String {
        switch self {
        case .timedOut: "no echo reply before the timeout"
        case .socket(let errno): "ICMP socket: \(errno)"
        case .unreachable(let why): "unreachable: \(why)"
        }
    }
}
