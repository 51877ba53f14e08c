import EventLoop
import Probes
import Record
import SystemCalls

extension StoreFactory {
    /// How often a store that keeps its values gets an unchanged record again, in refresh
    /// intervals (6 × the default 10 minutes = hourly): brings back a record deleted behind our back.
    static let rewriteEveryRefreshes = 6.0

    /// When a publish writes to the store `plugin` describes (see `StoreWritePolicy`).
    static func writePolicy(for plugin: PluginConfig, refreshInterval: Double) -> StoreWritePolicy {
        let rewrite = StoreWritePolicy.whenChanged(rewriteAfter: rewriteEveryRefreshes * refreshInterval)
        switch plugin {
        case .file, .cloudflare: return rewrite
        case .exec(_, _, let dedup), .shell(_, _, let dedup): return dedup ? rewrite : .always
        case .openDHT(_, _, _, let republishInterval, _): return .expiring(republishEvery: republishInterval)
        }
    }

    /// The longest one operation on the store may take before it counts as failed: what the
    /// store's own timeouts allow, plus a second (a Cloudflare write can take three API calls,
    /// an OpenDHT request tries each endpoint).
    static func operationTimeout(for plugin: PluginConfig) -> Double {
        switch plugin {
        case .file: return 5
        case .exec, .shell: return 31
        case .cloudflare: return 3 * 10 + 1
        case .openDHT(let endpoints, _, let timeout, _, _): return timeout * Double(max(1, endpoints.count)) + 1
        }
    }

    /// The record exchange of one peer over the stores it names (`plugins`, in order), made from
    /// the daemon's stores (one per plugin name, shared by the peers naming it). Throws, naming
    /// the key, for a name with no store.
    static func exchange(for peer: PeerConfig, interface: String, keyPath: String, peerKey: WireGuardKey,
                         plugins: [String: PluginConfig], stores: [String: (Store, dedup: Bool)],
                         refreshInterval: Double, loop: EventLoop, logger: Logger) throws(ConfigError) -> RecordExchange {
        var logger = logger
        logger[metadataKey: "interface"] = "\(interface)"
        logger[metadataKey: "peer"] = "\(peer.name)"
        var lanes: [StoreLane] = []
        for (index, name) in peer.plugins.enumerated() {
            guard let plugin = plugins[name], let (store, _) = stores[name] else {
                let key = peer.plugins.count == 1 ? "\(keyPath).plugin" : "\(keyPath).plugins[\(index)]"
                throw ConfigError(keyPath: key, message: "no plugin named \(name)")
            }
            lanes.append(StoreLane(plugin: name, store: store,
                                   policy: writePolicy(for: plugin, refreshInterval: refreshInterval),
                                   timeout: operationTimeout(for: plugin), loop: loop, logger: logger,
                                   wallClock: WallClock.now))
        }
        return RecordExchange(peerKey: peerKey, lanes: lanes, loop: loop, logger: logger)
    }
}
