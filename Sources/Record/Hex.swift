import CSodium

/// Hex codec (libsodium's constant-time sodium_bin2hex / sodium_hex2bin), for keys, store keys
/// and stored records, which stunmesh-go writes as lowercase hex.
enum Hex {
    /// Lowercase hex of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        ensureSodium()
        var text = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        _ = bytes.withUnsafeBufferPointer { sodium_bin2hex(&text, text.count, $0.baseAddress, bytes.count) }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of a hex string (either case, nothing else allowed); nil if `text` is not an
    /// even number of hex digits.
    static func decode(_ text: String) -> [UInt8]? {
        ensureSodium()
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        if digits.isEmpty { return [] }
        var bytes = [UInt8](repeating: 0, count: digits.count / 2)
        var length = 0
        var end: UnsafePointer<CChar>?
        let ok = digits.withUnsafeBufferPointer { hex in
            hex.withMemoryRebound(to: CChar.self) { hex in
                let r = sodium_hex2bin(&bytes, bytes.count, hex.baseAddress, hex.count, nil, &length, &end)
                return r == 0 && end == hex.baseAddress! + hex.count
            }
        }
        return ok && length == bytes.count ? bytes : nil
    }
}
