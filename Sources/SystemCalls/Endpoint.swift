import Glibc

/// An IP address, v4 or v6, as raw network-order bytes. It exists so that STUN, WireGuard,
/// records and config speak of addresses in one type and format them one way (RFC 5952).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Four bytes, network order.
    case v4(UInt8, UInt8, UInt8, UInt8)
    /// Sixteen bytes, network order.
    case v6([UInt8])

    /// Parses a literal ("203.0.113.7", "2001:db8::1") with inet_pton(3); nil if it is not one.
    /// A NUL anywhere makes it none: inet_pton would stop there and take "1.2.3.4\0junk" for
    /// 1.2.3.4.
    public init?(_ text: String) {
        guard !text.utf8.contains(0) else { return nil }
        if text.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, text, &a) == 1 else { return nil }
            self = .v6(withUnsafeBytes(of: a) { Array($0) })
        } else {
            var a = in_addr()
            guard inet_pton(AF_INET, text, &a) == 1 else { return nil }
            let b = withUnsafeBytes(of: a) { Array($0) }
            self = .v4(b[0], b[1], b[2], b[3])
        }
    }

    /// Builds an address from 4 or 16 network-order bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: self = .v6(bytes)
        default: return nil
        }
    }

    /// The network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case let .v4(a, b, c, d): return [a, b, c, d]
        case let .v6(b): return b
        }
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// The address family constant (AF_INET or AF_INET6).
    public var family: Int32 { isIPv4 ? AF_INET : AF_INET6 }

    /// inet_ntop(3) text: dotted quad, or RFC 5952 compressed lowercase IPv6.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let b = bytes
        _ = b.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An IP address and UDP port: a WireGuard endpoint, a STUN mapping, a STUN server.
/// Text form is "203.0.113.7:51820" or "[2001:db8::1]:51820", as stunmesh-go's records and
/// WireGuard's UAPI write it.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The IP address.
    public var address: IPAddress
    /// The port, host order.
    public var port: UInt16

    /// An endpoint from its parts.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses "a.b.c.d:port" or "[v6]:port"; nil if the text is not exactly that.
    public init?(_ text: String) {
        guard !text.utf8.contains(0) else { return nil }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(portText), let address = IPAddress(String(host)) else { return nil }
        self.init(address: address, port: port)
    }

    /// "ip:port" for IPv4, "[ip]:port" for IPv6.
    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// Calls `body` with this endpoint as a `sockaddr_in` / `sockaddr_in6`.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch address {
        case .v4:
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sa.sin_addr) { $0.copyBytes(from: address.bytes) }
            return try withUnsafePointer(to: &sa) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6:
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sa.sin6_addr) { $0.copyBytes(from: address.bytes) }
            return try withUnsafePointer(to: &sa) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Reads a `sockaddr_in` / `sockaddr_in6` (as filled by recvfrom/getsockname); nil for
    /// other families.
    public init?(sockaddr storage: UnsafePointer<sockaddr>) {
        switch Int32(storage.pointee.sa_family) {
        case AF_INET:
            let sa = UnsafeRawPointer(storage).load(as: sockaddr_in.self)
            let b = withUnsafeBytes(of: sa.sin_addr) { Array($0) }
            self.init(address: .v4(b[0], b[1], b[2], b[3]), port: UInt16(bigEndian: sa.sin_port))
        case AF_INET6:
            let sa = UnsafeRawPointer(storage).load(as: sockaddr_in6.self)
            self.init(address: .v6(withUnsafeBytes(of: sa.sin6_addr) { Array($0) }), port: UInt16(bigEndian: sa.sin6_port))
        default:
            return nil
        }
    }
}
