import SystemCalls

/// The value format shared by MAPPED-ADDRESS and XOR-MAPPED-ADDRESS (RFC 8489 §14.1-14.2):
/// a reserved byte, a family (1 = IPv4, 2 = IPv6), a port and the address, optionally xor'd
/// with the magic cookie (port, IPv4) or the cookie followed by the transaction ID (IPv6).
enum StunAddressCoding {
    /// The magic cookie then the transaction ID: the xor key, of which IPv4 uses 4 bytes.
    static func xorKey(_ transactionID: StunTransactionID) -> [UInt8] {
        var key: [UInt8] = []
        key.appendBigEndian(StunMessage.magicCookie)
        return key + transactionID.bytes
    }

    /// Decodes a value of attribute `type`; xor'd when `xorWith` is given.
    static func decode(_ value: [UInt8], type: UInt16, xorWith transactionID: StunTransactionID?) throws(StunParseError) -> Endpoint {
        guard value.count >= 4 else { throw .badAttribute(type) }
        let addressLength: Int
        switch value[1] {
        case 0x01: addressLength = 4
        case 0x02: addressLength = 16
        default: throw .badAttribute(type)
        }
        guard value.count == 4 + addressLength else { throw .badAttribute(type) }
        var port = value.bigEndianUInt16(at: 2)
        var address = Array(value[4...])
        if let transactionID {
            let key = xorKey(transactionID)
            port ^= UInt16(StunMessage.magicCookie >> 16)
            for i in address.indices { address[i] ^= key[i] }
        }
        return Endpoint(address: IPAddress(bytes: address)!, port: port)
    }

    /// Encodes `endpoint` as a value; xor'd when `xorWith` is given.
    static func encode(_ endpoint: Endpoint, xorWith transactionID: StunTransactionID?) -> [UInt8] {
        var value: [UInt8] = [0, endpoint.address.isIPv4 ? 0x01 : 0x02]
        var port = endpoint.port
        var address = endpoint.address.bytes
        if let transactionID {
            let key = xorKey(transactionID)
            port ^= UInt16(StunMessage.magicCookie >> 16)
            for i in address.indices { address[i] ^= key[i] }
        }
        value.appendBigEndian(port)
        return value + address
    }
}
