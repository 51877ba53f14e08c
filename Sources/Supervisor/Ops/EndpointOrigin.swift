import SystemCalls

/// Where the endpoint WireGuard has for a peer came from, so that status can tell an endpoint we
/// wrote from the peer's record from one WireGuard learned by itself. Derived, never stored by
/// WireGuard: `derive` compares the endpoint with what we read and wrote.
public enum EndpointOrigin: String, Equatable, Sendable {
    /// The peer's record said so (we wrote it, or the peer roamed to its published address).
    case record
    /// WireGuard moved to it on authenticated traffic from a new address (roaming).
    case roaming
    /// It was there before stunmeshd wrote anything (from `wg set` or a config file).
    case config
    /// None of the above can be shown (e.g. set by hand before any traffic).
    case unknown

    /// The origin of `endpoint`: equal to the peer's last record or to what we last wrote →
    /// record; the endpoint WireGuard had at start while we have written nothing → config; else,
    /// once a handshake has happened, roaming (WireGuard only moves on authenticated packets).
    public static func derive(endpoint: Endpoint, recordEndpoint: Endpoint?, writtenEndpoint: Endpoint?,
                              initialEndpoint: Endpoint?, lastHandshake: Double) -> EndpointOrigin {
        if endpoint == recordEndpoint || endpoint == writtenEndpoint { return .record }
        if writtenEndpoint == nil && endpoint == initialEndpoint { return .config }
        return lastHandshake > 0 ? .roaming : .unknown
    }
}
