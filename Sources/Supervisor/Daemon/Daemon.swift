import EventLoop
import Glibc
import Logging
import Probes
import Record

/// The running daemon: one libev loop, one `PeerRuntime` per configured peer, and the signal
/// handling. Built from a validated `Config`; `run()` returns when a signal stops it.
public final class Daemon {
    let loop: EventLoop
    let logger: Logger
    private(set) var interfaces: [InterfaceRuntime] = []
    private(set) var peers: [PeerRuntime] = []
    private var signals: [SignalWatcher] = []
    private var oneshotTimer: TimerWatcher?
    private var pollTimers: [TimerWatcher] = []
    private let monitor: MonitorSettings
    private let pingMonitor: PingMonitorSettings
    /// The exit status `run()` returns.
    private var exitStatus: Int32 = 0

    /// Builds the runtime for `config`; throws (naming the key) for settings it cannot honour.
    public init(config: Config, logger: Logger) throws(ConfigError) {
        let loop = EventLoop()
        self.loop = loop
        self.logger = logger
        self.monitor = config.monitor
        self.pingMonitor = config.pingMonitor
        var stores: [String: (Store, dedup: Bool)] = [:]
        // One HTTP client for all HTTP stores, made only if a store needs one (libcurl costs memory).
        var sharedHTTP: HTTPClient?
        let http = { () -> HTTPClient in
            if let sharedHTTP { return sharedHTTP }
            let made = HTTPClient(loop: loop)
            sharedHTTP = made
            return made
        }
        for (name, plugin) in config.plugins.sorted(by: { $0.key < $1.key }) {
            stores[name] = try StoreFactory.make(name: name, plugin: plugin, loop: loop, http: http)
        }
        for interfaceConfig in config.interfaces {
            let runtime = InterfaceRuntime(name: interfaceConfig.name, loop: loop,
                                           backend: UAPIClient(interface: interfaceConfig.name),
                                           stunServers: config.stunAddresses)
            interfaces.append(runtime)
            for peer in interfaceConfig.peers {
                let keyPath = "interfaces.\(interfaceConfig.name).peers.\(peer.name)"
                guard let key = WireGuardKey(base64: peer.publicKeyBase64) else {
                    throw ConfigError(keyPath: keyPath + ".public_key", message: "must be a base64 WireGuard key (32 bytes)")
                }
                let records = try StoreFactory.exchange(for: peer, interface: interfaceConfig.name, keyPath: keyPath,
                                                        peerKey: key, plugins: config.plugins, stores: stores,
                                                        refreshInterval: config.refreshInterval, loop: loop, logger: logger)
                let settings = PeerStateMachine.Settings(refreshInterval: config.refreshInterval, keepalive: peer.keepalive)
                let seed = key.bytes.prefix(8).reduce(UInt64(getpid())) { $0 << 8 | UInt64($1) }
                peers.append(PeerRuntime(name: peer.name, interface: runtime, peerKey: key, settings: peer,
                                         records: records, machineSettings: settings, seed: seed,
                                         logger: logger))
            }
        }
    }

    /// Runs until SIGTERM or SIGINT (or, with `oneshot`, until every peer has its endpoint set
    /// or `oneshotTimeout` passes). Returns the process exit status.
    public func run(oneshot: Bool = false, oneshotTimeout: Double = 120) -> Int32 {
        for signal in [SIGTERM, SIGINT] {
            signals.append(SignalWatcher(loop: loop, signal: signal) { [unowned self] in
                self.logger.info("signal received, stopping; WireGuard is left as it is")
                self.shutdown(status: 0)
            })
        }
        signals.append(SignalWatcher(loop: loop, signal: SIGUSR1) { [unowned self] in self.dumpHealth() })
        signal(SIGPIPE, SIG_IGN)
        if oneshot {
            oneshotTimer = TimerWatcher(loop: loop) { [unowned self] in
                self.logger.error("oneshot: not every peer was configured in \(Int(oneshotTimeout))s")
                self.shutdown(status: 1)
            }
            oneshotTimer?.start(after: oneshotTimeout)
            for peer in peers {
                peer.onStateChange = { [unowned self] _ in
                    if self.peers.allSatisfy({ $0.machine.state == .monitoring }) {
                        self.logger.info("oneshot: every peer is configured")
                        self.shutdown(status: 0)
                    }
                }
            }
        }
        logger.info("stunmeshd started", metadata: ["peers": "\(peers.count)", "interfaces": "\(interfaces.count)",
                                                    "monitor": "\(monitor.mode.rawValue)"])
        for peer in peers { peer.handle(.start) }
        if monitor.mode == .events { startProbes() }
        loop.run()
        return exitStatus
    }

    /// Event mode: every `poll_interval`, each interface's WireGuard state goes to its peers'
    /// path monitors.
    private func startProbes() {
        for interface in interfaces {
            let members = peers.filter { $0.interface === interface }
            let timer = TimerWatcher(loop: loop) {
                guard let device = interface.poll() else { return }
                let now = WallClock.now()
                for peer in members {
                    if let state = device.peer(peer.peerKey.hex) { peer.observe(state, now: now) }
                }
            }
            timer.start(after: monitor.pollInterval, repeat: monitor.pollInterval)
            pollTimers.append(timer)
        }
        for peer in peers {
            peer.startPinging(interval: peer.settings.ping?.interval ?? pingMonitor.interval,
                              timeout: peer.settings.ping?.timeout ?? pingMonitor.timeout)
        }
    }

    private func shutdown(status: Int32) {
        for timer in pollTimers { timer.stop() }
        exitStatus = status
        for peer in peers { peer.stop() }
        oneshotTimer?.stop()
        loop.stop()
    }

    /// SIGUSR1: one line per peer with its state, without disturbing anything.
    private func dumpHealth() {
        for peer in peers {
            var metadata: Logger.Metadata = ["interface": "\(peer.interface.name)", "peer": "\(peer.name)",
                                             "state": "\(peer.machine.state)"]
            if let mapping = peer.machine.mapping { metadata["mapped"] = "\(mapping)" }
            if let endpoint = peer.machine.configuredEndpoint { metadata["endpoint"] = "\(endpoint)" }
            if let wg = try? peer.interface.backend.device().peer(peer.peerKey.hex) {
                if wg.lastHandshake > 0 {
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    metadata["handshake_age_s"] = "\(Int(Double(now.tv_sec) - wg.lastHandshake))"
                }
                metadata["rx_bytes"] = "\(wg.rxBytes)"
                metadata["tx_bytes"] = "\(wg.txBytes)"
            }
            logger.info("health", metadata: metadata)
        }
    }
}
