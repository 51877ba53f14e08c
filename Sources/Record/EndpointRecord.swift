import JSON
import SystemCalls

/// What a node publishes for a peer: its public endpoints, in stunmesh-go's record format
/// (`{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}`), before sealing, and
/// stunmeshd's replay-protection timestamp after them (`,"ts":1700000000}`), which Go readers
/// ignore as an unknown field.
public struct EndpointRecord: Equatable, Sendable {
    /// The public IPv4 endpoint, if the interface publishes one.
    public var ipv4: Endpoint?
    /// The public IPv6 endpoint, if the interface publishes one.
    public var ipv6: Endpoint?
    /// Unix seconds since when the writer has published these endpoints (`ts`); a reader
    /// rejects a record older than the newest it accepted. nil in stunmesh-go's records.
    public var timestamp: Int?

    /// A record from its endpoints, and its timestamp if it has one.
    public init(ipv4: Endpoint? = nil, ipv6: Endpoint? = nil, timestamp: Int? = nil) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.timestamp = timestamp
    }

    /// Compact JSON, `ipv4` then `ipv6`, absent ones omitted: byte for byte what stunmesh-go
    /// writes; then `ts` when there is a timestamp.
    public func json() -> String {
        var members: [(String, JSONValue)] = []
        if let ipv4 { members.append(("ipv4", .string(ipv4.description))) }
        if let ipv6 { members.append(("ipv6", .string(ipv6.description))) }
        if let timestamp { members.append(("ts", .number(Double(timestamp)))) }
        return JSONValue.object(members).encoded()
    }

    /// The record without its timestamp: what it says, as opposed to when it was said. Two
    /// records with the same endpoints have the same `endpoints`.
    public var endpoints: EndpointRecord { EndpointRecord(ipv4: ipv4, ipv6: ipv6) }

    /// Reads a record as stunmesh-go does: unknown fields are ignored and a null or empty field
    /// counts as absent; a field of the wrong type, an unparsable endpoint, an endpoint of the
    /// wrong family, or a record with no endpoint at all is an error. `ts`, when present and not
    /// null, must be a whole number of seconds from 0 to 2^53.
    public init(json text: String) throws(RecordError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch { throw .badJSON(error) }
        guard case .object = value else { throw .notAnObject }
        ipv4 = try Self.endpoint(value["ipv4"], field: "ipv4", wantIPv4: true)
        ipv6 = try Self.endpoint(value["ipv6"], field: "ipv6", wantIPv4: false)
        if ipv4 == nil && ipv6 == nil { throw .noEndpoint }
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
