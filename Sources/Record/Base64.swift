import CSodium

/// Standard base64 with padding (RFC 4648 §4, Go's base64.StdEncoding), over libsodium's
/// sodium_bin2base64 / sodium_base642bin: the encoding of OpenDHT values and of the stunmesh
/// envelope inside them.
public enum Base64 {
    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        ensureSodium()
        let length = (bytes.count + 2) / 3 * 4 + 1  // sodium_base64_ENCODED_LEN for the original variant
        var text = [CChar](repeating: 0, count: length)
        _ = bytes.withUnsafeBufferPointer {
            sodium_bin2base64(&text, length, $0.baseAddress, bytes.count, sodium_base64_VARIANT_ORIGINAL)
        }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of padded standard base64 `text`; nil if it is anything else (no whitespace,
    /// no URL alphabet, no missing padding), as strict as Go's StdEncoding.
    public static func decode(_ text: String) -> [UInt8]? {
        ensureSodium()
        let digits = Array(text.utf8)
        guard digits.count % 4 == 0 else { return nil }
        if digits.isEmpty { return [] }
        var bytes = [UInt8](repeating: 0, count: digits.count / 4 * 3)
        var length = 0
        var end: UnsafePointer<CChar>?
        let ok = digits.withUnsafeBufferPointer { b64 in
            b64.withMemoryRebound(to: CChar.self) { b64 in
                sodium_base642bin(&bytes, bytes.count, b64.baseAddress, b64.count, nil, &length, &end,
                                  sodium_base64_VARIANT_ORIGINAL) == 0 && end == b64.baseAddress! + b64.count
            }
        }
        return ok ? Array(bytes.prefix(length)) : nil
    }
}
