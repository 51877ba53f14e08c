/// The punch datagram two stunmeshd peers exchange from their WireGuard ports while opening a
/// path (docs/first-contact.md). It is a STUN Binding **indication** (RFC 8489 §3: a message that
/// expects no answer) so that it passes the raw socket's filter like STUN replies do, and so that
/// anything that reads it as STUN ignores it (an indication starts no transaction; stunmesh-go
/// matches replies by its own transaction IDs). WireGuard, which gets its own copy on the same
/// port, drops it: the first byte is 0, not a WireGuard message type (1–4).
///
/// One attribute in the comprehension-optional range carries what the opening needs:
///
///     flags (1 byte) | reserved (3 bytes, zero) | tag (16 bytes)
///
/// `flags` bit 0, **seen**: the sender has seen a punch of ours, so the path is open both ways,
/// and (when the sender initiates) its WireGuard initiation leaves with this punch. `tag` binds
/// the message to the pair of WireGuard keys (computed by the caller, see `PunchAuthenticator` in
/// Record); a punch whose tag does not verify is ignored.
public struct PunchMessage: Equatable, Sendable {
    /// The attribute type: comprehension-optional (≥ 0x8000), not assigned by IANA's STUN
    /// attribute registry.
    public static let attributeType: UInt16 = 0xC057
    /// Bytes of the tag.
    public static let tagBytes = 16
    /// Bytes of the whole datagram's payload: header, attribute header, value.
    public static let byteCount = StunMessage.headerSize + 4 + 4 + tagBytes

    /// The random nonce of this punch (the STUN transaction ID).
    public let transactionID: StunTransactionID
    /// The sender has seen one of our punches.
    public let seen: Bool
    /// The authenticator.
    public let tag: [UInt8]

    public init(transactionID: StunTransactionID, seen: Bool, tag: [UInt8]) {
        precondition(tag.count == Self.tagBytes, "a punch tag is \(Self.tagBytes) bytes")
        self.transactionID = transactionID
        self.seen = seen
        self.tag = tag
    }

    /// What the tag covers: everything of the message but the tag (the header with its length,
    /// the attribute header, the flags). The sender's and receiver's roles are the caller's to
    /// add (the key derivation).
    public static func signedBytes(transactionID: StunTransactionID, seen: Bool) -> [UInt8] {
        Array(encode(transactionID: transactionID, seen: seen, tag: [UInt8](repeating: 0, count: tagBytes))
            .prefix(byteCount - tagBytes))
    }

    /// The datagram's payload.
    public var bytes: [UInt8] { Self.encode(transactionID: transactionID, seen: seen, tag: tag) }

    private static func encode(transactionID: StunTransactionID, seen: Bool, tag: [UInt8]) -> [UInt8] {
        let value = [seen ? 1 : 0, 0, 0, 0] + tag
        return StunMessage.encode(type: .bindingIndication, transactionID: transactionID,
                                  attributes: [StunAttribute(type: attributeType, value: value)], fingerprint: false)
    }

    /// Parses a datagram's payload; nil for anything that is not exactly a punch (another STUN
    /// message, a wrong length, unknown flags or a non-zero reserved field).
    public init?(parsing payload: [UInt8]) {
        guard payload.count == Self.byteCount,
              let message = try? StunMessage(parsing: payload),
              message.type == .bindingIndication,
              message.attributes.count == 1,
              let attribute = message.attributes.first,
              attribute.type == Self.attributeType,
              attribute.value.count == 4 + Self.tagBytes,
              attribute.value[0] & ~1 == 0,
              attribute.value[1] == 0, attribute.value[2] == 0, attribute.value[3] == 0 else { return nil }
        self.init(transactionID: message.transactionID, seen: attribute.value[0] == 1,
                  tag: Array(attribute.value[4...]))
    }
}

extension StunMessageType {
    /// A Binding indication (0x0011).
    public static let bindingIndication = StunMessageType(method: bindingMethod, messageClass: .indication)
}
