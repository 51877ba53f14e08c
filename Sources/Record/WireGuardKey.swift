import CSodium

/// A WireGuard key (Curve25519, 32 bytes), private or public. It exists so that keys travel as
/// one type with one text form each (base64 as in WireGuard configs, hex as in UAPI), and so
/// that a private key can never be printed by accident: `description` hides the bytes.
public struct WireGuardKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable {
    /// The 32 raw bytes.
    public let bytes: [UInt8]

    /// A key from exactly 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A key from standard padded base64 (as `wg genkey` prints it); nil unless it decodes to
    /// exactly 32 bytes with nothing left over.
    public init?(base64 text: String) {
        ensureSodium()
        let chars = Array(text.utf8)
        var decoded = [UInt8](repeating: 0, count: 33)  // room to notice a too-long input
        var length = 0
        var end: UnsafePointer<CChar>?
        let ok = chars.withUnsafeBufferPointer { b64 in
            b64.withMemoryRebound(to: CChar.self) { b64 in
                sodium_base642bin(&decoded, decoded.count, b64.baseAddress, b64.count, nil, &length, &end,
                                  sodium_base64_VARIANT_ORIGINAL) == 0
                    && end == b64.baseAddress.map { $0 + b64.count }
            }
        }
        guard ok, length == 32 else { return nil }
        self.bytes = Array(decoded.prefix(32))
    }

    /// A key from 64 hex digits, either case (as WireGuard's UAPI writes keys).
    public init?(hex text: String) {
        guard text.utf8.count == 64, let decoded = Hex.decode(text) else { return nil }
        self.bytes = decoded
    }

    /// Standard padded base64, 44 characters.
    public var base64: String {
        ensureSodium()
        var text = [CChar](repeating: 0, count: 45)
        _ = bytes.withUnsafeBufferPointer {
            sodium_bin2base64(&text, text.count, $0.baseAddress, 32, sodium_base64_VARIANT_ORIGINAL)
        }
        return String(decoding: text.prefix(44).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Lowercase hex, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    /// The public key of this private key (crypto_scalarmult_base, which clamps the scalar as
    /// WireGuard does), so that the daemon needs only the private key.
    public func publicKey() -> WireGuardKey {
        ensureSodium()
        var result = [UInt8](repeating: 0, count: 32)
        _ = crypto_scalarmult_base(&result, bytes)
        return WireGuardKey(bytes: result)!
    }

    /// "WireGuardKey(…)": never the bytes, so that private keys cannot reach logs. Print
    /// `base64` explicitly for a public key.
    public var description: String { "WireGuardKey(…)" }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// No children, so that `dump()` does not print the bytes either.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
