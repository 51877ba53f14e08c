import CLinuxNet
import Glibc

/// A getaddrinfo(3) failure. Its EAI_* codes are not errno values, so it is its own type; it
/// exists so a STUN server name that does not resolve is reported in the resolver's words.
public struct AddressInfoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The EAI_* code getaddrinfo returned.
    public var code: Int32

    /// Wraps an EAI_* code.
    public init(_ code: Int32) { self.code = code }

    /// gai_strerror(3) text, e.g. "Name or service not known".
    public var description: String {
        guard let text = gai_strerror(code) else { return "getaddrinfo error \(code)" }
        return String(cString: text)
    }
}

extension Sys {
    /// getaddrinfo(3) for UDP: the addresses of `family` (AF_INET, AF_INET6 or AF_UNSPEC) that
    /// `host` resolves to, in the resolver's order, without duplicates. It blocks while the
    /// resolver asks DNS. Mocking: script `.value(Int(EAI_…))` to make it fail.
    public static func getaddrinfo(host: String, family: Int32) throws(AddressInfoError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = clinuxnet_sock_dgram()
        var list: UnsafeMutablePointer<addrinfo>?
        let code = funnel("getaddrinfo") { Glibc.getaddrinfo(host, nil, &hints, &list) }
        guard code == 0 else { throw AddressInfoError(code) }
        defer { if let list { freeaddrinfo(list) } }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr, let endpoint = Endpoint(sockaddr: address),
               !addresses.contains(endpoint.address) {
                addresses.append(endpoint.address)
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
