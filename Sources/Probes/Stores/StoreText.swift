/// Text rules the stores share: which keys are valid, and how program output is trimmed and
/// shortened before it goes into an error message. Kept in one namespace so that other code in
/// this module is not crowded with generic helper names.
enum StoreText {
    /// Whether `key` is a stunmesh store key: 40 lowercase hex digits (a SHA-1). Stores refuse
    /// anything else, so a key can never be a path or carry a line break into a plugin's input.
    static func isKey(_ key: String) -> Bool {
        key.utf8.count == 40 && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The error for a key that is not 40 lowercase hex digits.
    static func badKey(_ key: String) -> StoreError {
        StoreError("store key is not 40 lowercase hex digits: \"\(excerpt(Array(key.utf8), limit: 60))\"")
    }

    /// `text` without leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF).
    static func trimmed(_ text: String) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0d).contains($0) }
        let bytes = Array(text.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Up to `limit` bytes of program output as one log-safe line: trimmed, control characters
    /// shown as spaces, "…" when cut.
    static func excerpt(_ bytes: [UInt8], limit: Int = 300) -> String {
        let text = trimmed(String(decoding: bytes, as: UTF8.self))
        let cut = text.utf8.count > limit
        let kept = cut ? String(decoding: Array(text.utf8.prefix(limit)), as: UTF8.self) : text
        let line = String(String.UnicodeScalarView(kept.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7f ? " " : $0
        }))
        return cut ? line + "…" : line
    }
}
