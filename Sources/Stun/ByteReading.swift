// Big-endian field reads for the STUN and UDP codecs. Callers check bounds first; these only
// assemble bytes.

extension Collection where Element == UInt8, Index == Int {
    /// The big-endian 16-bit value at `offset` (an absolute index of this collection).
    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    /// The big-endian 32-bit value at `offset` (an absolute index of this collection).
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndianUInt16(at: offset)) << 16 | UInt32(bigEndianUInt16(at: offset + 2))
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in big-endian order.
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    /// Appends `value` in big-endian order.
    mutating func appendBigEndian(_ value: UInt32) {
        appendBigEndian(UInt16(value >> 16))
        appendBigEndian(UInt16(value & 0xFFFF))
    }
}
