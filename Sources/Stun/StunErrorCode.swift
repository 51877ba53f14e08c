/// The ERROR-CODE attribute of an error response (RFC 8489 §14.8): why a server refused, e.g.
/// 400 Bad Request or 300 Try Alternate, so the daemon can report it instead of "timed out".
public struct StunErrorCode: Sendable, Equatable, CustomStringConvertible {
    /// The code, 300...699.
    public var code: Int
    /// The server's reason phrase (UTF-8, possibly empty).
    public var reason: String

    /// An error code from its parts.
    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// E.g. "401 Unauthorized".
    public var description: String { reason.isEmpty ? "\(code)" : "\(code) \(reason)" }
}
