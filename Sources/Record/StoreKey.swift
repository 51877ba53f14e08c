import CNettle

/// Where a record lives in a store: stunmesh-go's key scheme, which both peers must compute the
/// same way. A node writes its record for a peer under `forRecord(from: ownPublic, to: peerPublic)`
/// and reads the peer's record under `forRecord(from: peerPublic, to: ownPublic)`.
public enum StoreKey {
    /// Lowercase hex of SHA-1(senderPublic ‖ receiverPublic), 40 characters. Both arguments are
    /// public keys.
    public static func forRecord(from sender: WireGuardKey, to receiver: WireGuardKey) -> String {
        let input = sender.bytes + receiver.bytes
        var digest = [UInt8](repeating: 0, count: Int(SHA1_DIGEST_SIZE))
        var context = sha1_ctx()
        nettle_sha1_init(&context)
        input.withUnsafeBufferPointer { nettle_sha1_update(&context, $0.count, $0.baseAddress) }
        nettle_sha1_digest(&context, digest.count, &digest)
        return Hex.encode(digest)
    }
}
