import CZlib

/// The FINGERPRINT value (RFC 8489 §14.7): zlib's CRC-32 of the bytes before the attribute,
/// xor'd with 0x5354554e so it differs from CRCs of other protocols sharing the port.
enum StunFingerprint {
    /// The constant xor'd into the CRC ("STUN" in ASCII).
    static let xorConstant: UInt32 = 0x5354_554E

    /// The fingerprint of `bytes` (everything from the header to just before FINGERPRINT).
    static func value(of bytes: ArraySlice<UInt8>) -> UInt32 {
        let crc = bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return UInt32(truncatingIfNeeded: crc) ^ xorConstant
    }
}
