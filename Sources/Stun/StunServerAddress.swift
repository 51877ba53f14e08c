import Glibc
import SystemCalls

/// Turns a configured STUN server ("stun.l.google.com:19302", "198.51.100.7:3478",
/// "[2001:db8::1]:3478") into an endpoint of one family. IP literals are used as they are; host
/// names go through getaddrinfo(3) for that family only (A or AAAA), which blocks the event loop
/// while DNS answers (acceptable while the daemon runs STUN rarely; a resolver off the loop can
/// replace it later).
enum StunServerAddress {
    /// The first `family` endpoint of `text`, or `.resolveFailed` saying why there is none.
    static func resolve(_ text: String, family: IPFamily) throws(StunDiscoveryError) -> Endpoint {
        if let literal = Endpoint(text) {
            guard literal.address.ipFamily == family else { throw .resolveFailed("\(text): not an \(family) address") }
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
            addresses = try Sys.getaddrinfo(host: host, family: family.socketFamily)
        } catch {
            throw .resolveFailed("\(text): \(error)")
        }
        guard let address = addresses.first(where: { $0.ipFamily == family }) else {
            throw .resolveFailed("\(text): no \(family) address")
        }
        return Endpoint(address: address, port: port)
    }
}
