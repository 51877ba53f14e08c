import JSON
import SystemCalls

/// What a node publishes for a peer: its public endpoints, in stunmesh-go's record format
/// (`{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}`), before sealing. Two stunmeshd
/// extensions may follow, which Go readers ignore as unknown fields: `"nat":{"ipv4":"symmetric"}`
/// names the families whose NAT maps per destination (so the peer can explain why a direct path
/// cannot work), and `"ts":1700000000` is the replay-protection timestamp.
public struct EndpointRecord: Equatable, Sendable {
    /// The public IPv4 endpoint, if the interface publishes one.
    public var ipv4: Endpoint?
    /// The public IPv6 endpoint, if the interface publishes one.
    public var ipv6: Endpoint?
    /// Families whose published endpoint sits behind a symmetric NAT (empty: none known).
    public var symmetricNAT: Set<IPFamily>
    /// Unix seconds since when the writer has published these endpoints (`ts`); a reader
    /// rejects a record older than the newest it accepted. nil in stunmesh-go's records.
    public var timestamp: Int?

    /// A record from its endpoints, what is known of the NAT, and its timestamp if it has one.
    public init(ipv4: Endpoint? = nil, ipv6: Endpoint? = nil, symmetricNAT: Set<IPFamily> = [], timestamp: Int? = nil) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.symmetricNAT = symmetricNAT
        self.timestamp = timestamp
    }

    /// The word the `nat` field uses for a symmetric NAT.
    static let symmetricWord = "symmetric"

    /// Compact JSON, `ipv4` then `ipv6`, absent ones omitted: byte for byte what stunmesh-go
    /// writes; then `nat` only when some family is symmetric, then `ts` when there is one.
    public func json() -> String {
        var members: [(String, JSONValue)] = []
        if let ipv4 { members.append(("ipv4", .string(ipv4.description))) }
        if let ipv6 { members.append(("ipv6", .string(ipv6.description))) }
        let symmetric = IPFamily.allCases.filter(symmetricNAT.contains)
        if !symmetric.isEmpty {
            members.append(("nat", .object(symmetric.map { ($0.rawValue, .string(Self.symmetricWord)) })))
        }
        if let timestamp { members.append(("ts", .number(Double(timestamp)))) }
        return JSONValue.object(members).encoded()
    }

    /// The record without its timestamp: what it says, as opposed to when it was said. Two
    /// records saying the same have the same `endpoints`.
    public var endpoints: EndpointRecord { EndpointRecord(ipv4: ipv4, ipv6: ipv6, symmetricNAT: symmetricNAT) }

    /// Reads a record as stunmesh-go does: unknown fields are ignored and a null or empty field
    /// counts as absent; a field of the wrong type, an unparsable endpoint, an endpoint of the
    /// wrong family, or a record with no endpoint at all is an error. `nat` is advice: a missing
    /// or malformed one means nothing is known, never an error. `ts`, when present and not null,
    /// must be a whole number of seconds from 0 to 2^53.
    public init(json text: String) throws(RecordError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch { throw .badJSON(error) }
        guard case .object = value else { throw .notAnObject }
        ipv4 = try Self.endpoint(value["ipv4"], field: "ipv4", wantIPv4: true)
        ipv6 = try Self.endpoint(value["ipv6"], field: "ipv6", wantIPv4: false)
        if ipv4 == nil && ipv6 == nil { throw .noEndpoint }
        symmetricNAT = Set(IPFamily.allCases.filter { value["nat"]?[$0.rawValue]?.stringValue == Self.symmetricWord })
        switch value["ts"] {
        case nil, .null?: timestamp = nil
        case let ts?:
            guard let seconds = ts.intValue, (0...(1 << 53)).contains(seconds) else { throw .badTimestamp }
            timestamp = seconds
        }
    }

    private static func endpoint(_ value: JSONValue?, field: String, wantIPv4: Bool) throws(RecordError) -> Endpoint? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue else { throw .wrongType(field: field) }
        if text.isEmpty { return nil }
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        guard let endpoint = Endpoint(text) else { throw .badEndpoint(field: field, text: shown) }
        guard endpoint.address.isIPv4 == wantIPv4 else { throw .wrongFamily(field: field, text: shown) }
        return endpoint
    }
}
