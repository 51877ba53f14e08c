/// Why bytes are not an acceptable STUN message (or not the Binding response we asked for).
/// Typed so the transport can ignore junk quietly and tests can say exactly what was wrong.
public enum StunParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the 20-byte header, or than the header's length field announces.
    case truncated
    /// One of the two top bits of the first byte is set: not STUN (maybe RTP, DTLS, WireGuard).
    case notStun
    /// The magic cookie is not 0x2112A442 (an RFC 3489 message, or not STUN).
    case badCookie
    /// The length field is not a multiple of 4, or bytes follow the announced end.
    case badLength
    /// An attribute of this type runs past the message end or has a malformed value.
    case badAttribute(UInt16)
    /// FINGERPRINT is not the last attribute.
    case fingerprintNotLast
    /// FINGERPRINT does not match the CRC-32 of the message: corrupted or not STUN.
    case badFingerprint
    /// A well-formed message that is not a Binding success or error response.
    case notAResponse
    /// A Binding success response without XOR-MAPPED-ADDRESS or MAPPED-ADDRESS.
    case noMappedAddress

    /// A short English description.
    public var description: String {
        switch self {
        case .truncated: "truncated STUN message"
        case .notStun: "not a STUN message (top bits set)"
        case .badCookie: "bad STUN magic cookie"
        case .badLength: "bad STUN message length"
        case .badAttribute(let type): "malformed STUN attribute 0x\(String(type, radix: 16))"
        case .fingerprintNotLast: "STUN FINGERPRINT is not the last attribute"
        case .badFingerprint: "STUN FINGERPRINT mismatch"
        case .notAResponse: "not a STUN Binding response"
        case .noMappedAddress: "STUN Binding response without a mapped address"
        }
    }
}
