import Glibc

/// The 96-bit transaction ID of a STUN message. It pairs a response with its request, so it must
/// be unpredictable (RFC 8489 §6): a guessable ID would let an off-path sender forge a mapping.
public struct StunTransactionID: Hashable, Sendable, CustomStringConvertible {
    /// Number of bytes in a transaction ID.
    public static let byteCount = 12

    /// The 12 bytes, in wire order.
    public let bytes: [UInt8]

    /// A fresh random ID from glibc's arc4random_buf(3), which is seeded by getrandom(2) and
    /// cannot fail.
    public init() {
        var random = [UInt8](repeating: 0, count: Self.byteCount)
        random.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
        bytes = random
    }

    /// An ID from exactly 12 given bytes (a parsed message, a test vector); nil for any other
    /// length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Lowercase hex of the 12 bytes, for logs.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
