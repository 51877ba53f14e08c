import COpenSSLCrypto

/// Where a record lives in a store: stunmesh-go's key scheme, which both peers must compute the
/// same way. A node writes its record for a peer under `forRecord(from: ownPublic, to: peerPublic)`
/// and reads the peer's record under `forRecord(from: peerPublic, to: ownPublic)`.
public enum StoreKey {
    /// Lowercase hex of SHA-1(senderPublic ‖ receiverPublic), 40 characters. Both arguments are
    /// public keys.
    public static func forRecord(from sender: WireGuardKey, to receiver: WireGuardKey) -> String {
        let input = sender.bytes + receiver.bytes
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = input.withUnsafeBufferPointer {
            EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha1(), nil)
        }
        precondition(ok == 1 && length == 20, "OpenSSL's SHA-1 failed")
        return Hex.encode(digest)
    }
}
