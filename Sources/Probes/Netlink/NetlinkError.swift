import SystemCalls

/// Why the netlink route monitor could not start, or why a netlink buffer could not be read.
public enum NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A call failed: which one, and the errno it set.
    case system(String, Errno)
    /// A message did not have the shape rtnetlink gives it (too short, a bad attribute).
    case malformed(String)

    /// Text for logs.
    public var description: String {
        switch self {
        case .system(let call, let e): return "\(call): \(e)"
        case .malformed(let why): return "malformed netlink message: \(why)"
        }
    }
}
