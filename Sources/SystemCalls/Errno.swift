import Glibc

/// A POSIX error number, typed, so that callers can `catch` a specific failure (`.wouldBlock`)
/// instead of comparing integers, and so that logs say what the kernel said.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    public var rawValue: Int32

    /// Wraps a raw `errno` value.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The current thread's `errno`.
    public static var current: Errno { Errno(errno) }

    /// strerror(3) of the value, with its symbolic number, e.g. "Connection refused (errno 111)".
    public var description: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return "\(String(cString: text)) (errno \(rawValue))"
    }

    /// EINTR: a signal interrupted the call; the funnel retries it.
    public static let interrupted = Errno(EINTR)
    /// EAGAIN: a non-blocking call would block.
    public static let wouldBlock = Errno(EAGAIN)
    /// ENOENT: no such file (a UAPI socket that does not exist, a missing record).
    public static let noEntry = Errno(ENOENT)
    /// ECONNREFUSED: nobody listens on a unix socket.
    public static let connectionRefused = Errno(ECONNREFUSED)
    /// EPERM: not permitted (a raw socket without CAP_NET_RAW).
    public static let notPermitted = Errno(EPERM)
    /// EINVAL: bad argument.
    public static let invalid = Errno(EINVAL)
    /// ETIMEDOUT: a socket timeout expired.
    public static let timedOut = Errno(ETIMEDOUT)
}
