import Probes

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
/// own, its interface's protocol or backend, any of its stores' settings, or the shared STUN,
/// refresh and ping settings) is stopped and started again; an unchanged one keeps running
/// untouched. Keys that cannot change while the daemon runs (`ConfigKeys`, reload `.restart`) make `refusal` say why. Pure.
public struct ConfigDiff: Equatable, Sendable {
    /// Peers to start, in the new config's order (new and changed ones).
    public var start: [PeerID]
    /// Peers to stop, in the old config's order (removed and changed ones).
    public var stop: [PeerID]
    /// Peers in both configs with the same settings, in the new config's order.
    public var unchanged: [PeerID]
    /// Peers in both whose settings changed (each is in `stop` and in `start`).
    public var changed: [PeerID]
    /// Why the reload cannot be applied while running (a changed `monitor`), or nil.
    public var refusal: ConfigError?

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
        // The key table says which keys a running daemon cannot take (`reload: .restart`).
        refusal = ConfigKeys.restartOnlyChange(old: old, new: new).map { key in
            ConfigError(keyPath: key.path, message: "changed: it is set at start; restart stunmeshd to change it")
        }
    }

    /// Whether nothing needs to change.
    public var isEmpty: Bool { start.isEmpty && stop.isEmpty }

    /// Everything a running peer depends on.
    struct PeerSpec: Equatable {
        var id: PeerID
        var peer: PeerConfig
        var interfaceProtocol: InterfaceProtocol
        var interfaceBackend: WireGuardBackendChoice
        /// Every store of the peer, in its order (a name without a plugin is nil).
        var plugins: [PluginConfig?]
        var stunAddresses: [String]
        var refreshInterval: Double
        var pingMonitor: PingMonitorSettings
    }

    static func specs(_ config: Config) -> [PeerSpec] {
        config.interfaces.flatMap { interface in
            interface.peers.map { peer in
                PeerSpec(id: PeerID(interface: interface.name, peer: peer.name), peer: peer,
                         interfaceProtocol: interface.protocol, interfaceBackend: interface.backend,
                         plugins: peer.plugins.map { config.plugins[$0] },
                         stunAddresses: config.stunAddresses, refreshInterval: config.refreshInterval,
                         pingMonitor: config.pingMonitor)
            }
        }
    }
}
