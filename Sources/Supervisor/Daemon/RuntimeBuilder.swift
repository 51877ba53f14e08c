import EventLoop
import Glibc
import Probes
import Record
import SystemCalls

/// Turns config into the daemon's runtime parts — interfaces, stores, peers — reusing the running
/// ones: the one builder used at start (when nothing runs yet) and on every reload. A store whose
/// plugin settings did not change is the running store (its budget, its HTTP client, its request
/// count go on); an interface whose name and backend choice did not change is the running one
/// (its chosen backend, ping sockets, device watch). Building is staged: `plan` makes every new
/// part without touching the running ones and throws (naming the key) if any cannot be made, so a
/// reload is all or nothing; `commit` then makes the plan the running set.
final class RuntimeBuilder {
    /// The running parts (after the last commit).
    struct Parts {
        /// Stores by plugin name, with the settings each was made from and its read pacer.
        var stores: [String: (config: PluginConfig, store: Store, pacer: SharedReadPacer)] = [:]
        /// Interfaces by name.
        var interfaces: [String: InterfaceRuntime] = [:]
    }

    /// What a config needs: the parts it uses (reused or new) and the new peers, not yet started.
    struct Plan {
        /// The stores and interfaces the config uses.
        var parts: Parts
        /// Each interface's settings to apply at commit (protocol and STUN servers may change
        /// on a reused interface; its peers are restarted then).
        var interfaceSettings: [String: (protocol: InterfaceProtocol, stunServers: [String])]
        /// The peers made for `ids`, in config order.
        var peers: [PeerID: PeerRuntime]
    }

    let loop: EventLoop
    let logger: Logger
    /// The running parts.
    private(set) var running = Parts()
    /// The loop's one HTTP client for every HTTP store, made on first use (it loads libcurl).
    private var httpClient: HTTPClient?
    /// The HTTP client, for tests that check it is one.
    var httpClientForTests: HTTPClient? { httpClient }
    /// The newest `ts` accepted per partner, kept in `state_file` (made with the first plan; the
    /// file cannot change on reload, `ConfigKeys`); shared by every peer, flushed at shutdown.
    private(set) var replayMemory: ReplayMemory?

    /// The fwmark the daemon's outer traffic carries (HTTP stores, plugin programs): WireGuard's,
    /// read from the running interfaces' devices (the first non-zero one).
    var outerMark: UInt32 {
        running.interfaces.values.lazy.compactMap { $0.lastDevice?.fwmark }.first { $0 != 0 } ?? 0
    }

    init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// Everything `config` needs, with new `PeerRuntime`s for the peers in `ids` (all of them at
    /// start; the new and changed ones on reload). Nothing running is touched; throws, naming the
    /// key, for a part that cannot be made (a bad key, a store without libcurl).
    func plan(_ config: Config, peers ids: Set<PeerID>) throws(ConfigError) -> Plan {
        var parts = Parts()
        for (name, plugin) in config.plugins.sorted(by: { $0.key < $1.key }) {
            if let current = running.stores[name], current.config == plugin {
                parts.stores[name] = current
            } else {
                let budget = plugin.descriptor(refreshInterval: config.refreshInterval).readBudget
                parts.stores[name] = (plugin, try makeStore(name: name, plugin: plugin), SharedReadPacer(budget: budget))
            }
        }
        var settings: [String: (protocol: InterfaceProtocol, stunServers: [String])] = [:]
        var made: [PeerID: PeerRuntime] = [:]
        for interfaceConfig in config.interfaces {
            let name = interfaceConfig.name
            let interface: InterfaceRuntime
            if let current = running.interfaces[name], current.backendChoice == interfaceConfig.backend {
                interface = current
            } else {
                let backend = WireGuardBackendChooser.backend(interface: name, choice: interfaceConfig.backend) { [logger] choice in
                    logger.info("WireGuard backend chosen", metadata: ["interface": "\(name)", "backend": "\(choice)"])
                }
                interface = InterfaceRuntime(name: name, loop: loop, backend: backend, backendChoice: interfaceConfig.backend,
                                             stunServers: config.stunAddresses)
                interface.protocol = interfaceConfig.protocol
            }
            parts.interfaces[name] = interface
            settings[name] = (interfaceConfig.protocol, config.stunAddresses)
            for peer in interfaceConfig.peers {
                let id = PeerID(interface: name, peer: peer.name)
                guard ids.contains(id) else { continue }
                made[id] = try makePeer(peer, on: interface, config: config,
                                        stores: parts.stores.mapValues { ($0.store, $0.pacer) })
            }
        }
        return Plan(parts: parts, interfaceSettings: settings, peers: made)
    }

    /// Makes `plan` the running set: reused interfaces take their new settings. Parts the new
    /// config no longer uses are dropped (their peers have been stopped by then).
    func commit(_ plan: Plan) {
        for (name, interface) in plan.parts.interfaces {
            guard let settings = plan.interfaceSettings[name] else { continue }
            interface.protocol = settings.protocol
            interface.stunServers = settings.stunServers
        }
        running = plan.parts
    }

    private func makeStore(name: String, plugin: PluginConfig) throws(ConfigError) -> Store {
        let http = { [loop] () throws(CurlLoadError) -> HTTPClient in
            if let client = self.httpClient { return client }
            let client = try HTTPClient(loop: loop)
            // The stores' sockets carry WireGuard's fwmark, read from the device as the STUN and
            // punch sockets do: in a full tunnel only marked packets leave outside it (docs/stores.md).
            client.socketMark = { [weak self] in self?.outerMark ?? 0 }
            // Their host names are then resolved on marked sockets too (c-ares); what stands in
            // the way of that (no libc-ares2, a local stub resolver) is said once.
            client.notice = { [logger = self.logger] text in logger.warning("store name lookups: \(text)") }
            self.httpClient = client
            return client
        }
        let store = try StoreFactory.make(name: name, plugin: plugin, loop: loop, http: http)
        (store as? PluginStore)?.socketMark = { [weak self] in self?.outerMark ?? 0 }
        return store
    }

    private func makePeer(_ peer: PeerConfig, on interface: InterfaceRuntime, config: Config,
                          stores: [String: (Store, SharedReadPacer)]) throws(ConfigError) -> PeerRuntime {
        let keyPath = "interfaces.\(interface.name).peers.\(peer.name)"
        guard let key = WireGuardKey(base64: peer.publicKeyBase64) else {
            throw ConfigError(keyPath: keyPath + ".public_key", message: "must be a base64 WireGuard key (32 bytes)")
        }
        let records = try StoreFactory.exchange(for: peer, interface: interface.name, keyPath: keyPath, peerKey: key,
                                                plugins: config.plugins, stores: stores,
                                                refreshInterval: config.refreshInterval, loop: loop, logger: logger)
        if replayMemory == nil { replayMemory = ReplayMemory(path: config.stateFile, loop: loop, logger: logger) }
        records.replayMemory = replayMemory
        let settings = PeerStateMachine.Settings(refreshInterval: config.refreshInterval, keepalive: peer.keepalive)
        let seed = key.bytes.prefix(8).reduce(UInt64(getpid())) { $0 << 8 | UInt64($1) }
        return PeerRuntime(name: peer.name, interface: interface, peerKey: key, settings: peer, records: records,
                           machineSettings: settings, seed: seed, logger: logger,
                           pingIsExplicit: config.pingMonitor.intervalIsExplicit)
    }
}
