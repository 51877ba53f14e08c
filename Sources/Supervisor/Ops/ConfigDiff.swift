/// A peer's identity across configs: its interface and its name under `peers:`.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The interface name.
    public var interface: String
    /// The peer's name.
    public var peer: String

    /// An identity from its parts.
    public init(interface: String, peer: String) {
        self.interface = interface
        self.peer = peer
    }

    /// "wg0/peer_b".
    public var description: String { "\(interface)/\(peer)" }
}

/// What a reload must do to go from the running config to a new one, peer by peer: which peers
/// to stop, which to start, which to leave alone. A peer whose effective settings changed (its
/// own, its interface's protocol, its plugin's, or the shared STUN, refresh and ping settings)
/// is stopped and started again; an unchanged one keeps running untouched. Pure.
public struct ConfigDiff: Equatable, Sendable {
    /// Peers to start, in the new config's order (new and changed ones).
    public var start: [PeerID]
    /// Peers to stop, in the old config's order (removed and changed ones).
    public var stop: [PeerID]
    /// Peers in both configs with the same settings, in the new config's order.
    public var unchanged: [PeerID]
    /// Peers in both whose settings changed (each is in `stop` and in `start`).
    public var changed: [PeerID]
    /// Top-level keys that changed but take effect only at the next start (`log`, `monitor`).
    public var restartOnly: [String]

    /// The difference from `old` to `new`.
    public init(old: Config, new: Config) {
        let before = Self.specs(old)
        let after = Self.specs(new)
        let beforeByID = Dictionary(before.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let afterIDs = Set(after.map(\.id))
        start = []
        unchanged = []
        changed = []
        for spec in after {
            switch beforeByID[spec.id] {
            case nil: start.append(spec.id)
            case let old? where old == spec: unchanged.append(spec.id)
            case _?:
                changed.append(spec.id)
                start.append(spec.id)
            }
        }
        let changedSet = Set(changed)
        stop = before.map(\.id).filter { !afterIDs.contains($0) || changedSet.contains($0) }
        restartOnly = []
        if old.log != new.log { restartOnly.append("log") }
        if old.monitor != new.monitor { restartOnly.append("monitor") }
    }

    /// Whether nothing needs to change.
    public var isEmpty: Bool { start.isEmpty && stop.isEmpty }

    /// Everything a running peer depends on.
    struct PeerSpec: Equatable {
        var id: PeerID
        var peer: PeerConfig
        var interfaceProtocol: InterfaceProtocol
        var plugin: PluginConfig?
        var stunAddresses: [String]
        var refreshInterval: Double
        var pingMonitor: PingMonitorSettings
    }

    static func specs(_ config: Config) -> [PeerSpec] {
        config.interfaces.flatMap { interface in
            interface.peers.map { peer in
                PeerSpec(id: PeerID(interface: interface.name, peer: peer.name), peer: peer,
                         interfaceProtocol: interface.protocol, plugin: config.plugins[peer.plugin],
                         stunAddresses: config.stunAddresses, refreshInterval: config.refreshInterval,
                         pingMonitor: config.pingMonitor)
            }
        }
    }
}
