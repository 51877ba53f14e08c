import CSodium

/// The tag of a punch between two WireGuard peers: BLAKE2b (libsodium's crypto_generichash),
/// 16 bytes, keyed with the pair's crypto_box shared key (X25519 of one side's private and the
/// other's public key, through HSalsa20: the same on both sides), over a domain string, the
/// **sender's** public key and the punch's bytes. Only the two peers can make a punch that
/// verifies, and a punch cannot be reflected back to its sender (the sender's key is in it).
/// Replays are possible and cost little: a replayed punch can at most make us initiate a
/// handshake toward the endpoint we already chose (docs/first-contact.md).
public struct PunchAuthenticator: Sendable {
    /// Bytes of a tag.
    public static let tagBytes = 16
    private static let domain = Array("stunmeshd punch v1".utf8)

    private let sharedKey: [UInt8]
    private let ownPublic: [UInt8]
    private let peerPublic: [UInt8]

    /// Nil when libsodium refuses the pair (a weak public key, e.g. all zeros).
    public init?(ownPrivate: WireGuardKey, peerPublic: WireGuardKey) {
        ensureSodium()
        var key = [UInt8](repeating: 0, count: Int(crypto_box_BEFORENMBYTES))
        guard crypto_box_beforenm(&key, peerPublic.bytes, ownPrivate.bytes) == 0 else { return nil }
        sharedKey = key
        ownPublic = ownPrivate.publicKey().bytes
        self.peerPublic = peerPublic.bytes
    }

    /// The tag of a punch we send.
    public func tag(sending signed: [UInt8]) -> [UInt8] { Self.tag(key: sharedKey, sender: ownPublic, signed) }

    /// Whether a punch that came in carries the peer's tag (compared in constant time).
    public func verify(received signed: [UInt8], tag: [UInt8]) -> Bool {
        guard tag.count == Self.tagBytes else { return false }
        let expected = Self.tag(key: sharedKey, sender: peerPublic, signed)
        return sodium_memcmp(expected, tag, Self.tagBytes) == 0
    }

    private static func tag(key: [UInt8], sender: [UInt8], _ signed: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: tagBytes)
        let message = domain + sender + signed
        _ = crypto_generichash(&out, tagBytes, message, UInt64(message.count), key, key.count)
        return out
    }
}
