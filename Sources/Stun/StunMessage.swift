import SystemCalls

/// A parsed STUN message (RFC 8489): header, attributes in wire order, and the attributes a
/// Binding client needs already decoded and checked. Parsing validates everything it decodes,
/// so a value of this type is never half-valid.
public struct StunMessage: Sendable, Equatable {
    /// The magic cookie every RFC 5389/8489 message carries at bytes 4..<8.
    public static let magicCookie: UInt32 = 0x2112_A442
    /// Size of the fixed header.
    public static let headerSize = 20

    /// Class and method.
    public let type: StunMessageType
    /// The transaction ID that pairs this message with its request.
    public let transactionID: StunTransactionID
    /// Every attribute, in wire order, including those not decoded below.
    public let attributes: [StunAttribute]
    /// XOR-MAPPED-ADDRESS, decoded (first occurrence).
    public let xorMappedAddress: Endpoint?
    /// MAPPED-ADDRESS, decoded (first occurrence); only old servers send it without the xor'd one.
    public let plainMappedAddress: Endpoint?
    /// ERROR-CODE, decoded (first occurrence).
    public let errorCode: StunErrorCode?
    /// SOFTWARE text (first occurrence), invalid UTF-8 repaired.
    public let software: String?
    /// FINGERPRINT's value when present; parsing already verified it.
    public let fingerprint: UInt32?

    /// The reflexive address the server saw: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
    public var mappedAddress: Endpoint? { xorMappedAddress ?? plainMappedAddress }

    /// Parses one whole STUN message (a UDP payload). Checks the header (top bits, cookie,
    /// length a multiple of 4 and equal to the bytes given), every attribute's bounds, the
    /// values of the attributes decoded above, and FINGERPRINT (last, CRC correct). Unknown
    /// attributes, MESSAGE-INTEGRITY included, are kept but not checked.
    public init(parsing bytes: [UInt8]) throws(StunParseError) {
        guard bytes.count >= Self.headerSize else { throw .truncated }
        guard let type = StunMessageType(rawValue: bytes.bigEndianUInt16(at: 0)) else { throw .notStun }
        guard bytes.bigEndianUInt32(at: 4) == Self.magicCookie else { throw .badCookie }
        let length = Int(bytes.bigEndianUInt16(at: 2))
        guard length % 4 == 0 else { throw .badLength }
        guard bytes.count >= Self.headerSize + length else { throw .truncated }
        guard bytes.count == Self.headerSize + length else { throw .badLength }
        let transactionID = StunTransactionID(bytes: Array(bytes[8..<20]))!

        var attributes: [StunAttribute] = []
        var xorMapped: Endpoint?
        var plainMapped: Endpoint?
        var errorCode: StunErrorCode?
        var software: String?
        var fingerprint: UInt32?
        var offset = Self.headerSize
        while offset < bytes.count {
            // Offsets stay multiples of 4 and the length is one, so a 4-byte header fits.
            let attributeType = bytes.bigEndianUInt16(at: offset)
            let valueLength = Int(bytes.bigEndianUInt16(at: offset + 2))
            let valueStart = offset + 4
            let paddedEnd = valueStart + ((valueLength + 3) & ~3)
            guard paddedEnd <= bytes.count else { throw .badAttribute(attributeType) }
            let value = Array(bytes[valueStart..<valueStart + valueLength])

            switch attributeType {
            case StunAttributeType.xorMappedAddress where xorMapped == nil:
                xorMapped = try StunAddressCoding.decode(value, type: attributeType, xorWith: transactionID)
            case StunAttributeType.mappedAddress where plainMapped == nil:
                plainMapped = try StunAddressCoding.decode(value, type: attributeType, xorWith: nil)
            case StunAttributeType.errorCode where errorCode == nil:
                errorCode = try Self.decodeErrorCode(value)
            case StunAttributeType.software where software == nil:
                software = String(decoding: value, as: UTF8.self)
            case StunAttributeType.fingerprint:
                guard paddedEnd == bytes.count else { throw .fingerprintNotLast }
                guard valueLength == 4 else { throw .badAttribute(attributeType) }
                let carried = value.bigEndianUInt32(at: 0)
                guard carried == StunFingerprint.value(of: bytes[..<offset]) else { throw .badFingerprint }
                fingerprint = carried
            default:
                break
            }
            attributes.append(StunAttribute(type: attributeType, value: value))
            offset = paddedEnd
        }

        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
        self.xorMappedAddress = xorMapped
        self.plainMappedAddress = plainMapped
        self.errorCode = errorCode
        self.software = software
        self.fingerprint = fingerprint
    }

    /// ERROR-CODE: 21 reserved bits, a 3-bit class (3...6), a number (0...99), a reason.
    private static func decodeErrorCode(_ value: [UInt8]) throws(StunParseError) -> StunErrorCode {
        guard value.count >= 4 else { throw .badAttribute(StunAttributeType.errorCode) }
        let errorClass = Int(value[2] & 0x07)
        let number = Int(value[3])
        guard (3...6).contains(errorClass), number < 100 else { throw .badAttribute(StunAttributeType.errorCode) }
        return StunErrorCode(code: errorClass * 100 + number, reason: String(decoding: value[4...], as: UTF8.self))
    }
}
