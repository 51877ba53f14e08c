/// One attribute of a STUN message as it was on the wire: its type and its value without the
/// padding. Kept so callers can read attributes this codec does not decode itself.
public struct StunAttribute: Sendable, Equatable {
    /// The attribute type (see `StunAttributeType`).
    public var type: UInt16
    /// The value bytes, padding removed.
    public var value: [UInt8]

    /// An attribute from its parts.
    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}

/// The attribute types this codec knows (RFC 8489 §18.3), by name instead of by number.
public enum StunAttributeType {
    /// MAPPED-ADDRESS: the reflexive address in clear (RFC 3489 servers).
    public static let mappedAddress: UInt16 = 0x0001
    /// MESSAGE-INTEGRITY: HMAC-SHA1; stunmeshd sends none and ignores any.
    public static let messageIntegrity: UInt16 = 0x0008
    /// ERROR-CODE: class, number and reason of an error response.
    public static let errorCode: UInt16 = 0x0009
    /// XOR-MAPPED-ADDRESS: the reflexive address xor'd with the cookie (and transaction ID).
    public static let xorMappedAddress: UInt16 = 0x0020
    /// SOFTWARE: free text naming the agent.
    public static let software: UInt16 = 0x8022
    /// FINGERPRINT: CRC-32 of the message before it, xor 0x5354554e; always last.
    public static let fingerprint: UInt16 = 0x8028
}
