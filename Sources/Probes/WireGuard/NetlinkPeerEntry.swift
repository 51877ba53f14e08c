import CLibMNL
import Glibc
import SystemCalls

/// One WGDEVICE_A_PEERS entry of a dump, with only the fields it carried: a continuation of a
/// split peer holds just the public key and more allowed IPs, and must not reset the rest.
struct NetlinkPeerEntry {
    /// WGPEER_A_PUBLIC_KEY as hex (required).
    var publicKeyHex: String
    /// WGPEER_A_ENDPOINT.
    var endpoint: Endpoint?
    /// WGPEER_A_LAST_HANDSHAKE_TIME in seconds since the epoch.
    var lastHandshake: Double?
    /// WGPEER_A_RX_BYTES.
    var rxBytes: UInt64?
    /// WGPEER_A_TX_BYTES.
    var txBytes: UInt64?
    /// WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL.
    var persistentKeepalive: UInt16?
    /// WGPEER_A_ALLOWEDIPS as "address/cidr".
    var allowedIPs: [String] = []

    /// Parses the attributes nested in one peer entry. Unknown attributes are skipped (newer
    /// kernels add some); a known one with a bad size is an error.
    init(_ attributes: [NetlinkAttribute]) throws(WireGuardError) {
        var key: String?
        for attribute in attributes {
            switch UInt32(attribute.type) {
            case WGPEER_A_PUBLIC_KEY.rawValue:
                key = KeyHex.encode(try attribute.bytes(count: Int(WG_KEY_LEN), "WGPEER_A_PUBLIC_KEY"))
            case WGPEER_A_ENDPOINT.rawValue:
                endpoint = try Self.endpoint(attribute.payload)
            case WGPEER_A_LAST_HANDSHAKE_TIME.rawValue:
                // struct __kernel_timespec: two 64-bit fields.
                let time = try attribute.bytes(count: 16, "WGPEER_A_LAST_HANDSHAKE_TIME")
                let (seconds, nanoseconds) = time.withUnsafeBytes {
                    ($0.loadUnaligned(as: Int64.self), $0.loadUnaligned(fromByteOffset: 8, as: Int64.self))
                }
                lastHandshake = Double(seconds) + Double(nanoseconds) / 1e9
            case WGPEER_A_RX_BYTES.rawValue:
                rxBytes = try attribute.integer(UInt64.self, "WGPEER_A_RX_BYTES")
            case WGPEER_A_TX_BYTES.rawValue:
                txBytes = try attribute.integer(UInt64.self, "WGPEER_A_TX_BYTES")
            case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL.rawValue:
                persistentKeepalive = try attribute.integer(UInt16.self, "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL")
            case WGPEER_A_ALLOWEDIPS.rawValue:
                for allowed in try attribute.nested() { allowedIPs.append(try Self.allowedIP(allowed.nested())) }
            default:
                continue
            }
        }
        guard let key else { throw .malformed("peer entry without WGPEER_A_PUBLIC_KEY") }
        publicKeyHex = key
    }

    /// Writes the fields this entry carried into `peer`.
    func apply(to peer: inout WireGuardPeerState) {
        if let endpoint { peer.endpoint = endpoint }
        if let lastHandshake { peer.lastHandshake = lastHandshake }
        if let rxBytes { peer.rxBytes = rxBytes }
        if let txBytes { peer.txBytes = txBytes }
        if let persistentKeepalive { peer.persistentKeepalive = Int(persistentKeepalive) }
    }

    /// A sockaddr_in / sockaddr_in6 payload as an endpoint.
    static func endpoint(_ payload: [UInt8]) throws(WireGuardError) -> Endpoint {
        var storage = sockaddr_storage()
        guard payload.count >= 2, payload.count <= MemoryLayout<sockaddr_storage>.size else {
            throw .malformed("WGPEER_A_ENDPOINT has \(payload.count) bytes")
        }
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: payload) }
        let expected: Int
        switch Int32(storage.ss_family) {
        case AF_INET: expected = MemoryLayout<sockaddr_in>.size
        case AF_INET6: expected = MemoryLayout<sockaddr_in6>.size
        default: throw .malformed("WGPEER_A_ENDPOINT of address family \(storage.ss_family)")
        }
        guard payload.count == expected else { throw .malformed("WGPEER_A_ENDPOINT has \(payload.count) bytes") }
        let endpoint = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Endpoint(sockaddr: $0) }
        }
        guard let endpoint else { throw .malformed("WGPEER_A_ENDPOINT") }
        return endpoint
    }

    /// One WGPEER_A_ALLOWEDIPS entry (family, address, prefix length) as "address/cidr".
    static func allowedIP(_ attributes: [NetlinkAttribute]) throws(WireGuardError) -> String {
        var family: UInt16?
        var address: [UInt8]?
        var cidr: UInt8?
        for attribute in attributes {
            switch UInt32(attribute.type) {
            case WGALLOWEDIP_A_FAMILY.rawValue: family = try attribute.integer(UInt16.self, "WGALLOWEDIP_A_FAMILY")
            case WGALLOWEDIP_A_IPADDR.rawValue: address = attribute.payload
            case WGALLOWEDIP_A_CIDR_MASK.rawValue: cidr = try attribute.integer(UInt8.self, "WGALLOWEDIP_A_CIDR_MASK")
            default: continue
            }
        }
        guard let family, let address, let cidr else { throw .malformed("allowed IP entry lacks family, address or mask") }
        let (size, maxCIDR): (Int, UInt8) = Int32(family) == AF_INET ? (4, 32) : Int32(family) == AF_INET6 ? (16, 128) : (0, 0)
        guard size > 0, address.count == size, cidr <= maxCIDR, let ip = IPAddress(bytes: address) else {
            throw .malformed("allowed IP of family \(family) with \(address.count) bytes and mask \(cidr)")
        }
        return "\(ip)/\(cidr)"
    }
}

/// Lowercase hex of WireGuard keys, the form WireGuardDeviceState carries them in.
enum KeyHex {
    /// Lowercase hex of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of `text` if it is an even number of hex digits (either case), else nil.
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ d: UInt8) -> UInt8? {
            switch d {
            case 0x30...0x39: return d - 0x30
            case 0x61...0x66: return d - 0x61 + 10
            case 0x41...0x46: return d - 0x41 + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
