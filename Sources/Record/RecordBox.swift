import CSodium

/// Sealing and opening stored records: NaCl crypto_box (X25519 + XSalsa20-Poly1305) keyed with
/// the sender's WireGuard private key and the receiver's WireGuard public key, stored as
/// lowercase hex of nonce(24) ‖ tag(16) ‖ ciphertext, exactly as stunmesh-go does. Only the two
/// peers can make a record that opens; records are not protected against replay.
public enum RecordBox {
    /// Bytes of a crypto_box nonce.
    public static let nonceBytes = 24
    /// Bytes of a crypto_box authentication tag.
    public static let tagBytes = 16

    /// Seals `plaintext` for the receiver. `nonce` is for test vectors only: leave it nil so that
    /// every record gets a fresh random nonce. A non-nil nonce must be 24 bytes.
    /// Throws `.weakKey` when libsodium refuses the key pair (e.g. an all-zero public key).
    public static func seal(_ plaintext: [UInt8], senderPrivate: WireGuardKey, receiverPublic: WireGuardKey,
                            nonce: [UInt8]? = nil) throws(RecordError) -> String {
        ensureSodium()
        var n = [UInt8](repeating: 0, count: nonceBytes)
        if let nonce {
            precondition(nonce.count == nonceBytes, "a crypto_box nonce is 24 bytes")
            n = nonce
        } else {
            randombytes_buf(&n, nonceBytes)
        }
        var sealed = [UInt8](repeating: 0, count: tagBytes + plaintext.count)
        let r = crypto_box_easy(&sealed, plaintext, UInt64(plaintext.count), n, receiverPublic.bytes,
                                senderPrivate.bytes)
        guard r == 0 else { throw .weakKey }
        return Hex.encode(n + sealed)
    }

    /// Opens a stored value. Hex of either case is accepted, and quotes and whitespace anywhere
    /// are dropped first (DNS TXT content may come back quoted or split into strings).
    public static func open(_ stored: String, receiverPrivate: WireGuardKey,
                            senderPublic: WireGuardKey) throws(RecordError) -> [UInt8] {
        ensureSodium()
        let cleaned = String(String.UnicodeScalarView(stored.unicodeScalars.filter {
            $0 != "\"" && !$0.properties.isWhitespace
        }))
        guard let bytes = Hex.decode(cleaned) else { throw .notHex }
        guard bytes.count >= nonceBytes + tagBytes else { throw .tooShort(byteCount: bytes.count) }
        let nonce = Array(bytes[..<nonceBytes])
        let sealed = Array(bytes[nonceBytes...])
        var plaintext = [UInt8](repeating: 0, count: sealed.count - tagBytes)
        let r = crypto_box_open_easy(&plaintext, sealed, UInt64(sealed.count), nonce, senderPublic.bytes,
                                     receiverPrivate.bytes)
        guard r == 0 else { throw .unauthenticated }
        return plaintext
    }
}
