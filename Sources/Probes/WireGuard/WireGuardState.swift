import SystemCalls

/// What WireGuard says about one peer: the facts the supervisor watches and the one field
/// (endpoint) it writes. Keys are lowercase hex, as both UAPI and the netlink backend carry them.
public struct WireGuardPeerState: Equatable, Sendable {
    /// The peer's public key, 64 lowercase hex characters.
    public var publicKeyHex: String
    /// The peer's current endpoint, if WireGuard has one (set, or learned by roaming).
    public var endpoint: Endpoint?
    /// Wall-clock time of the last completed handshake in seconds since the epoch; 0 for never.
    public var lastHandshake: Double
    /// Bytes received from the peer.
    public var rxBytes: UInt64
    /// Bytes sent to the peer.
    public var txBytes: UInt64
    /// Persistent keepalive interval in seconds; 0 is off.
    public var persistentKeepalive: Int
    /// Allowed IPs as "address/prefix" text, in WireGuard's order: a /32 or /128 among them is
    /// the peer's own tunnel address, which the daemon pings when no ping target is configured.
    public var allowedIPs: [String]

    /// A peer with nothing known but its key.
    public init(publicKeyHex: String, endpoint: Endpoint? = nil, lastHandshake: Double = 0,
                rxBytes: UInt64 = 0, txBytes: UInt64 = 0, persistentKeepalive: Int = 0, allowedIPs: [String] = []) {
        self.allowedIPs = allowedIPs
        self.publicKeyHex = publicKeyHex
        self.endpoint = endpoint
        self.lastHandshake = lastHandshake
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.persistentKeepalive = persistentKeepalive
    }
}

/// What WireGuard says about an interface: the listen port STUN must send from, the fwmark its
/// packets carry, the private key records are sealed with, and the peers.
public struct WireGuardDeviceState: Equatable, Sendable {
    /// The device's private key, 64 lowercase hex characters; nil if none is set.
    public var privateKeyHex: String?
    /// The UDP port WireGuard listens on (0 if unset).
    public var listenPort: UInt16
    /// The firewall mark on WireGuard's packets; 0 is none.
    public var fwmark: UInt32
    /// The peers, in WireGuard's order.
    public var peers: [WireGuardPeerState]

    /// A device state from its parts.
    public init(privateKeyHex: String? = nil, listenPort: UInt16 = 0, fwmark: UInt32 = 0, peers: [WireGuardPeerState] = []) {
        self.privateKeyHex = privateKeyHex
        self.listenPort = listenPort
        self.fwmark = fwmark
        self.peers = peers
    }

    /// The peer with this public key (hex), if the device has it (a linear search: for one peer;
    /// for all of them, `peersByKey`).
    public func peer(_ publicKeyHex: String) -> WireGuardPeerState? {
        peers.first { $0.publicKeyHex == publicKeyHex }
    }

    /// The peers by public key (hex): a poll of a thousand peers looks each one up once.
    public func peersByKey() -> [String: WireGuardPeerState] {
        Dictionary(peers.map { ($0.publicKeyHex, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Why talking to WireGuard failed.
public enum WireGuardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The interface does not exist (no UAPI socket, no such device).
    case noSuchInterface(String)
    /// A system call failed.
    case system(String, Errno)
    /// WireGuard answered with a non-zero errno (e.g. a set for a peer it does not have).
    case refused(errno: Int32)
    /// WireGuard's answer could not be understood.
    case malformed(String)
    /// The UAPI socket exists but this user may not connect to it (wireguard-go makes it root's,
    /// mode 0700): running as an unprivileged user needs access granted.
    case uapiAccessDenied(String)

    /// Text for logs.
    public var description: String {
        switch self {
        case .noSuchInterface(let name): return "no WireGuard interface \(name)"
        case .system(let what, let e): return "\(what): \(e)"
        case .refused(let e): return "WireGuard refused the request (errno \(e))"
        case .malformed(let why): return "malformed WireGuard reply: \(why)"
        case .uapiAccessDenied(let path):
            return "permission denied on the UAPI socket \(path): userspace WireGuard (wireguard-go) makes it root's with "
                + "mode 0700. Run stunmeshd as root, or give it CAP_DAC_OVERRIDE besides CAP_NET_ADMIN and CAP_NET_RAW "
                + "(both capability lines of the systemd unit). Changing the socket's owner or mode does not work: "
                + "wireguard-go takes that for the socket's removal and shuts the interface down (docs/operations.md)"
        }
    }

}

/// A way to read and write a WireGuard interface: the UAPI socket (wireguard-go, boringtun) or,
/// later, generic netlink (the kernel module). The supervisor needs exactly these two calls.
public protocol WireGuardBackend: AnyObject {
    /// The interface's name, e.g. "wg0".
    var interface: String { get }
    /// Reads the device and all its peers.
    func device() throws(WireGuardError) -> WireGuardDeviceState
    /// Sets only this existing peer's endpoint and persistent keepalive; touches nothing else
    /// (never creates a peer, never changes keys or allowed IPs).
    func setPeer(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) throws(WireGuardError)
    /// Sets only this existing peer's persistent keepalive, leaving its endpoint (perhaps one
    /// WireGuard learned by roaming) alone.
    func setKeepalive(publicKeyHex: String, persistentKeepalive: Int) throws(WireGuardError)
}
