import Glibc
import SystemCalls

/// Turns a configured STUN server ("stun.l.google.com:19302", "198.51.100.7:3478") into an
/// IPv4 endpoint. IP literals are used as they are; host names go through getaddrinfo(3),
/// which blocks the event loop while DNS answers (acceptable while the daemon runs STUN
/// rarely; a resolver off the loop can replace it later).
enum StunServerAddress {
    /// The first IPv4 endpoint of `text`, or `.resolveFailed` saying why there is none.
    static func resolveIPv4(_ text: String) throws(StunDiscoveryError) -> Endpoint {
        if let literal = Endpoint(text) {
            guard literal.address.isIPv4 else { throw .resolveFailed("\(text): IPv6 STUN servers are not supported yet") }
            return literal
        }
        guard let colon = text.lastIndex(of: ":") else { throw .resolveFailed("\(text): expected host:port") }
        let host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, !host.contains(":"), !host.contains("["),
              !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(portText), port != 0 else {
            throw .resolveFailed("\(text): expected host:port")
        }
        let addresses: [IPAddress]
        do {
            addresses = try Sys.getaddrinfo(host: host, family: AF_INET)
        } catch {
            throw .resolveFailed("\(text): \(error)")
        }
        guard let address = addresses.first else { throw .resolveFailed("\(text): no IPv4 address") }
        return Endpoint(address: address, port: port)
    }
}
