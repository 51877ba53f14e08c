import EventLoop
import Probes
import Record
import SystemCalls

extension StoreFactory {
    /// How often a store that keeps its values gets an unchanged record again, in refresh
    /// intervals (6 × the default 10 minutes = hourly): brings back a record deleted behind our back.
    static let rewriteEveryRefreshes = 6.0

    /// The policy of a store that keeps its values: write when the endpoints change, and an
    /// unchanged record again every `rewriteEveryRefreshes` refresh intervals.
    static func rewriteWhenChanged(refreshInterval: Double) -> StoreWritePolicy {
        .whenChanged(rewriteAfter: rewriteEveryRefreshes * refreshInterval)
    }

    /// The record exchange of one peer over the stores it names (`plugins`, in order), made from
    /// the daemon's stores (one per plugin name, shared by the peers naming it). Throws, naming
    /// the key, for a name with no store.
    static func exchange(for peer: PeerConfig, interface: String, keyPath: String, peerKey: WireGuardKey,
                         plugins: [String: PluginConfig], stores: [String: (Store, SharedReadPacer)],
                         refreshInterval: Double, loop: EventLoop, logger: Logger) throws(ConfigError) -> RecordExchange {
        var logger = logger
        logger[metadataKey: "interface"] = "\(interface)"
        logger[metadataKey: "peer"] = "\(peer.name)"
        var lanes: [StoreLane] = []
        for (index, name) in peer.plugins.enumerated() {
            guard let plugin = plugins[name], let (store, pacer) = stores[name] else {
                let key = peer.plugins.count == 1 ? "\(keyPath).plugin" : "\(keyPath).plugins[\(index)]"
                throw ConfigError(keyPath: key, message: "no plugin named \(name)")
            }
            let descriptor = plugin.descriptor(refreshInterval: refreshInterval)
            lanes.append(StoreLane(plugin: name, store: store, policy: descriptor.writePolicy,
                                   timeout: descriptor.operationTimeout, loop: loop, logger: logger,
                                   wallClock: WallClock.now, pacer: pacer))
        }
        return RecordExchange(peerKey: peerKey, lanes: lanes, loop: loop, logger: logger)
    }
}
