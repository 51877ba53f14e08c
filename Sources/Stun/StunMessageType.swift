/// The class of a STUN message (RFC 8489 §5): what role it plays in a transaction.
public enum StunMessageClass: UInt16, Sendable {
    /// A request, expecting a response.
    case request = 0
    /// An indication, expecting nothing.
    case indication = 1
    /// A success response.
    case successResponse = 2
    /// An error response (carries ERROR-CODE).
    case errorResponse = 3
}

/// The 14-bit message type of a STUN header: a 12-bit method with the 2 class bits interleaved
/// (bits C1 and C0 sit at positions 8 and 4). It exists so callers compare methods and classes
/// rather than magic numbers.
public struct StunMessageType: Hashable, Sendable, CustomStringConvertible {
    /// The Binding method (0x001), the only method stunmeshd speaks.
    public static let bindingMethod: UInt16 = 0x001
    /// Binding request (0x0001).
    public static let bindingRequest = StunMessageType(method: bindingMethod, messageClass: .request)
    /// Binding success response (0x0101).
    public static let bindingSuccess = StunMessageType(method: bindingMethod, messageClass: .successResponse)
    /// Binding error response (0x0111).
    public static let bindingError = StunMessageType(method: bindingMethod, messageClass: .errorResponse)

    /// The method, 12 bits.
    public var method: UInt16
    /// The class.
    public var messageClass: StunMessageClass

    /// A type from its parts; `method` is cut to 12 bits.
    public init(method: UInt16, messageClass: StunMessageClass) {
        self.method = method & 0x0FFF
        self.messageClass = messageClass
    }

    /// Splits a wire value; nil when one of the two top bits is set (then it is not STUN).
    public init?(rawValue: UInt16) {
        guard rawValue & 0xC000 == 0 else { return nil }
        method = (rawValue & 0x000F) | (rawValue & 0x00E0) >> 1 | (rawValue & 0x3E00) >> 2
        messageClass = StunMessageClass(rawValue: (rawValue >> 4) & 0x1 | (rawValue >> 7) & 0x2)!
    }

    /// The wire value.
    public var rawValue: UInt16 {
        let c = messageClass.rawValue
        return (method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 | (c & 0x1) << 4 | (c & 0x2) << 7
    }

    /// E.g. "method 0x001 successResponse".
    public var description: String {
        "method 0x\(String(method, radix: 16)) \(messageClass)"
    }
}
