/// The Internet checksum of RFC 1071 (ones' complement of the ones' complement sum of 16-bit
/// big-endian words), which ICMPv4 requires the sender to compute. The kernel computes
/// ICMPv6's, which covers a pseudo-header only it knows for sure.
enum InternetChecksum {
    /// The checksum of `bytes`, an odd last byte padded with zero. Computed over a message
    /// whose checksum field holds this value, the result is 0.
    static func compute(_ bytes: some Collection<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var high: UInt8? = nil
        for byte in bytes {
            if let h = high {
                sum += UInt32(h) << 8 | UInt32(byte)
                high = nil
            } else {
                high = byte
            }
        }
        if let h = high { sum += UInt32(h) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
