extension StunMessage {
    /// Longest SOFTWARE value RFC 8489 §14.14 allows, in bytes.
    static let maximumSoftwareBytes = 763

    /// A Binding request ready to send: header, optional SOFTWARE, optional FINGERPRINT (on by
    /// default, so servers and middleboxes can tell it from other traffic on WireGuard's port).
    /// SOFTWARE longer than RFC 8489 allows is cut at a character boundary.
    public static func bindingRequest(transactionID: StunTransactionID, software: String? = nil,
                                      fingerprint: Bool = true) -> [UInt8] {
        var attributes: [StunAttribute] = []
        if let software {
            var value: [UInt8] = []
            for character in software {
                let utf8 = Array(character.utf8)
                guard value.count + utf8.count <= maximumSoftwareBytes else { break }
                value += utf8
            }
            attributes.append(StunAttribute(type: StunAttributeType.software, value: value))
        }
        return encode(type: .bindingRequest, transactionID: transactionID, attributes: attributes,
                      fingerprint: fingerprint)
    }

    /// Any message: attributes zero-padded to 4 bytes, the length field counting FINGERPRINT
    /// before its CRC is taken, FINGERPRINT appended last when asked. Values must be shorter
    /// than 65536 bytes.
    static func encode(type: StunMessageType, transactionID: StunTransactionID, attributes: [StunAttribute],
                       fingerprint: Bool) -> [UInt8] {
        var body: [UInt8] = []
        for attribute in attributes {
            body.appendBigEndian(attribute.type)
            body.appendBigEndian(UInt16(attribute.value.count))
            body += attribute.value
            body += [UInt8](repeating: 0, count: (4 - attribute.value.count % 4) % 4)
        }
        var message: [UInt8] = []
        message.appendBigEndian(type.rawValue)
        message.appendBigEndian(UInt16(body.count + (fingerprint ? 8 : 0)))
        message.appendBigEndian(magicCookie)
        message += transactionID.bytes
        message += body
        if fingerprint {
            let crc = StunFingerprint.value(of: message[...])
            message.appendBigEndian(StunAttributeType.fingerprint)
            message.appendBigEndian(UInt16(4))
            message.appendBigEndian(crc)
        }
        return message
    }
}
