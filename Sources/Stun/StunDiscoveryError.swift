import SystemCalls

/// Why a discovery found no mapping, specific enough for a status line and for deciding
/// whether retrying can help.
public enum StunDiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server list is empty.
    case noServers
    /// No server could be resolved; the text names the last one and why.
    case resolveFailed(String)
    /// The raw socket could not be set up (EPERM without CAP_NET_RAW), or no request could be
    /// sent to any server.
    case socket(Errno)
    /// These servers got every transmission and never answered.
    case timedOut(servers: [String])
    /// A server answered with an error response (the last such answer).
    case errorResponse(code: Int, reason: String)

    /// A short English description.
    public var description: String {
        switch self {
        case .noServers: "no STUN servers configured"
        case .resolveFailed(let why): "cannot resolve STUN server \(why)"
        case .socket(let errno): "STUN raw socket: \(errno)"
        case .timedOut(let servers): "no STUN reply from \(servers.joined(separator: ", "))"
        case .errorResponse(let code, let reason): "STUN error response \(code) \(reason)"
        }
    }
}
