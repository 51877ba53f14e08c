import Probes
import SystemCalls

/// One WireGuard interface to manage (`interfaces.<name>`).
public struct InterfaceConfig: Equatable, Sendable {
    /// The interface name, e.g. "wg0".
    public var name: String
    /// Which address families this node publishes (default ipv4).
    public var `protocol`: InterfaceProtocol
    /// The peers to keep connected, in file order. Never empty.
    public var peers: [PeerConfig]
    /// How to reach WireGuard (`backend`, a stunmeshd extension): kernel, userspace, or auto
    /// (the default: kernel if the kernel has the device, else the UAPI socket).
    public var backend: WireGuardBackendChoice

    /// An interface entry.
    public init(name: String, protocol: InterfaceProtocol = .ipv4, peers: [PeerConfig], backend: WireGuardBackendChoice = .auto) {
        self.name = name
        self.protocol = `protocol`
        self.peers = peers
        self.backend = backend
    }
}

/// Address families an interface publishes in its records (`interfaces.<name>.protocol`).
public enum InterfaceProtocol: String, Equatable, Sendable, CaseIterable {
    /// IPv4 only (the default).
    case ipv4
    /// IPv6 only.
    case ipv6
    /// Both.
    case dualstack
}

/// One peer of an interface (`interfaces.<if>.peers.<name>`).
public struct PeerConfig: Equatable, Sendable {
    /// The peer's name in the file (used in logs).
    public var name: String
    /// The peer's WireGuard public key, standard base64 of 32 bytes (checked, canonical).
    public var publicKeyBase64: String
    /// The entries under `plugins` that store this peer's records, in config order: one from
    /// `plugin: <name>` (stunmesh-go), or several from `plugins: [<name>, …]` (stunmeshd). Records
    /// are published to all of them and read from all of them. Never empty.
    public var plugins: [String]
    /// Which of the peer's published endpoints to use (default ipv4).
    public var `protocol`: PeerProtocol
    /// The ping check, present only when `ping.enabled` is true.
    public var ping: PingSettings?
    /// Persistent keepalive seconds to set on the peer (`keepalive`, a stunmeshd extension;
    /// default 25, 0 turns it off).
    public var keepalive: Int
    /// Whether the file sets `keepalive`: then it is kept; otherwise it is learned from the NAT
    /// (`KeepaliveLearner`, 25 s until learned).
    public var keepaliveIsExplicit = false

    /// A peer entry with one store.
    public init(name: String, publicKeyBase64: String, plugin: String, protocol: PeerProtocol = .ipv4,
                ping: PingSettings? = nil, keepalive: Int = 25) {
        self.init(name: name, publicKeyBase64: publicKeyBase64, plugins: [plugin], protocol: `protocol`,
                  ping: ping, keepalive: keepalive)
    }

    /// A peer entry with its stores in order.
    public init(name: String, publicKeyBase64: String, plugins: [String], protocol: PeerProtocol = .ipv4,
                ping: PingSettings? = nil, keepalive: Int = 25) {
        self.name = name
        self.publicKeyBase64 = publicKeyBase64
        self.plugins = plugins
        self.protocol = `protocol`
        self.ping = ping
        self.keepalive = keepalive
    }

    /// The first (with `plugin:`, the only) store.
    public var plugin: String { plugins[0] }
}

/// Which endpoint of a peer to use (`peers.<name>.protocol`).
public enum PeerProtocol: String, Equatable, Sendable, CaseIterable {
    /// The IPv4 endpoint only (the default).
    case ipv4
    /// The IPv6 endpoint only.
    case ipv6
    /// IPv4 when published, else IPv6.
    case preferIPv4 = "prefer_ipv4"
    /// IPv6 when published, else IPv4.
    case preferIPv6 = "prefer_ipv6"
}

/// A peer's ping check: ping `target` through the tunnel and re-establish when replies stop.
public struct PingSettings: Equatable, Sendable {
    /// The address to ping, an IP literal inside the tunnel.
    public var target: IPAddress
    /// Seconds between pings (the peer's `ping.interval`, else `ping_monitor.interval`).
    public var interval: Double
    /// Seconds without a reply that count as a failure (`ping.timeout`, else `ping_monitor.timeout`).
    public var timeout: Double
    /// Whether an interval was given (`ping.interval` or `ping_monitor.interval`): then pings go
    /// out at that interval; without one the target only answers confirmation probes.
    public var periodic: Bool

    /// Ping settings.
    public init(target: IPAddress, interval: Double, timeout: Double, periodic: Bool = true) {
        self.target = target
        self.interval = interval
        self.timeout = timeout
        self.periodic = periodic
    }
}
