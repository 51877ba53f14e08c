import EventLoop
import Glibc
import Probes
import Record
import SystemCalls

/// The running daemon: one libev loop, one `PeerRuntime` per configured peer, and the signal
/// handling. Built from a validated `Config`; `run()` returns when a signal stops it.
public final class Daemon {
    let loop: EventLoop
    let logger: Logger
    /// The interfaces in use and their peers, in config order (a reload replaces some).
    var interfaces: [InterfaceRuntime] = []
    var peers: [PeerRuntime] = []
    private var signals: [SignalWatcher] = []
    private var oneshotTimer: TimerWatcher?
    private var pollTimers: [TimerWatcher] = []
    /// When WireGuard is read next (`DevicePollPacer`: fast while traffic moves, within a CPU budget).
    private var pollPacer = DevicePollPacer()
    /// While every peer is idle: one `TunnelTap` per interface, waking the reads at the first
    /// packet into a tunnel.
    private var taps: [String: TunnelTap] = [:]
    /// Interfaces whose tap could not be opened, and when (tried again after `tapRetry`).
    private var tapFailedAt: [String: Double] = [:]
    private static let tapRetry = 300.0
    /// Holds back the peers whose partners were not seen before until the others asked for their records.
    private var startHold: TimerWatcher?
    private var networkWatch: NetworkWatch?
    /// Wakes when an interface's mapping check is due (Daemon+MappingCheck).
    var mappingCheckTimer: TimerWatcher?
    /// Wakes when a log summary is due (`LogDigest`).
    private var logDigestTimer: TimerWatcher?
    private var trimTimer: TimerWatcher?
    let monitor: MonitorSettings
    /// `ping_monitor` (a reload may change it; peers it concerns are restarted).
    var pingMonitor: PingMonitorSettings
    /// Makes interfaces, stores and peers from config, reusing the running ones (start and reload).
    let builder: RuntimeBuilder
    /// Status file, metrics, signals for reload and re-discovery, systemd (Daemon+Operations).
    let operations: OperationsState
    /// The exit status `run()` returns.
    private var exitStatus: Int32 = 0

    /// Builds the runtime for `config` on `loop`; throws (naming the key) for settings it cannot
    /// honour. A reload does not build another: it applies a diff through `builder`.
    public init(config: Config, logger: Logger, loop: EventLoop = EventLoop()) throws(ConfigError) {
        self.loop = loop
        self.logger = logger
        self.monitor = config.monitor
        self.pingMonitor = config.pingMonitor
        self.operations = OperationsState(config: config)
        self.builder = RuntimeBuilder(loop: loop, logger: logger)
        let everyPeer = Set(ConfigDiff.specs(config).map(\.id))
        let plan = try builder.plan(config, peers: everyPeer)
        builder.commit(plan)
        for interfaceConfig in config.interfaces {
            guard let runtime = builder.running.interfaces[interfaceConfig.name] else { continue }
            interfaces.append(runtime)
            for peer in interfaceConfig.peers {
                if let made = plan.peers[PeerID(interface: interfaceConfig.name, peer: peer.name)] { peers.append(made) }
            }
        }
    }

    /// Runs until SIGTERM or SIGINT (or, with `oneshot`, until every peer has its endpoint set
    /// and its first-contact opening has started the handshake, or `oneshotTimeout` passes). Returns the process exit status.
    public func run(oneshot: Bool = false, oneshotTimeout: Double = 120) -> Int32 {
        for signal in [SIGTERM, SIGINT] {
            signals.append(SignalWatcher(loop: loop, signal: signal) { [unowned self] in
                self.logger.info("signal received, stopping; WireGuard is left as it is")
                self.shutdown(status: 0)
            })
        }
        signals.append(SignalWatcher(loop: loop, signal: SIGUSR1) { [unowned self] in self.dumpHealth() })
        signal(SIGPIPE, SIG_IGN)
        startLogDigest()
        if oneshot {
            oneshotTimer = TimerWatcher(loop: loop) { [unowned self] in
                self.logger.error("oneshot: not every peer was configured in \(Int(oneshotTimeout))s")
                self.shutdown(status: 1)
            }
            oneshotTimer?.start(after: oneshotTimeout)
            for peer in peers {
                peer.onStateChange = { [unowned self] _ in
                    // Configured, and not holding the keepalive at first contact: once we exit,
                    // nothing would start the handshake (docs/first-contact.md).
                    if self.peers.allSatisfy({ $0.machine.state == .monitoring && !$0.machine.keepaliveWithheld }) {
                        self.logger.info("oneshot: every peer is configured")
                        self.shutdown(status: 0)
                    }
                }
            }
        }
        logger.info("stunmeshd started", metadata: ["peers": "\(peers.count)", "interfaces": "\(interfaces.count)",
                                                    "monitor": "\(monitor.mode.rawValue)"])
        for peer in peers {
            peer.watchesStores = monitor.mode == .events
            peer.countersPolled = monitor.mode == .events
            peer.readingInterval = monitor.pollInterval
        }
        HeapTrim.keepLargeBlocksOutOfTheHeap()
        // Our keys, to find the partners seen before (the read is the one the first discovery
        // takes; a device that cannot be read now is read again there).
        for interface in interfaces { _ = try? interface.readDevice(maxAge: 1) }
        startPeers()
        if monitor.mode == .events { startProbes() }
        startOperations()
        trimTimer = TimerWatcher(loop: loop) { HeapTrim.now() }
        trimTimer?.start(after: 30, repeat: 600)
        loop.run()
        return exitStatus
    }

    /// Event mode: each interface's WireGuard state goes to its peers' path monitors, every
    /// `poll_interval` while every peer is idle, every `activePollInterval` while some peer's
    /// counters move (traffic is judged from traffic: a path that stops answering is seen within
    /// a fraction of a second, docs/path-judgement.md).
    private func startProbes() {
        let timer = TimerWatcher(loop: loop) { [unowned self] in
            let started = WallClock.monotonicMicroseconds()
            self.pollDevices()
            self.pollPacer.noteRead(seconds: Double(WallClock.monotonicMicroseconds() &- started) / 1e6)
            let now = WallClock.now()
            let active = self.peers.contains { $0.pathMonitor.isActive(now: now) || $0.pathMonitor.isConfirming }
            self.pollTimers.first?.start(after: self.pollPacer.interval(active: active, idle: self.monitor.pollInterval,
                                                                        active: Self.activePollInterval))
            if DevicePollPacer.wakesOnTraffic(active: active) { self.openTaps() } else { self.closeTaps() }
        }
        timer.start(after: monitor.pollInterval)
        pollTimers.append(timer)
        openTaps()  // every peer starts idle
        for peer in peers { startPinging(peer) }
        startNetworkWatch()
        startMappingChecks()
    }

    /// Starts every peer, those whose partners were seen before first (`StartOrder`).
    private func startPeers() {
        var seenBefore = 0
        let order = StartOrder.arrange(peers) { peer in
            let seen = peer.interface.keys.map { peer.records.partnerSeenBefore(ownPublicKey: $0.publicKey) } ?? false
            if seen { seenBefore += 1 }
            return seen
        }
        let first = order.prefix(seenBefore), rest = order.dropFirst(seenBefore)
        guard !first.isEmpty, !rest.isEmpty else {
            for peer in order { peer.handle(.start) }
            return
        }
        logger.info("peers whose partners were seen before start first", metadata: ["seen_before": "\(seenBefore)",
                                                                                  "peers": "\(peers.count)"])
        for peer in first { peer.handle(.start) }
        let since = loop.now
        startHold = TimerWatcher(loop: loop) { [unowned self] in
            let held = self.loop.now - since
            guard StartOrder.restMayStart(firstGroup: first.map(\.machine.state), heldFor: held) else { return }
            self.startHold?.stop()
            self.startHold = nil
            self.logger.debug("the other peers start", metadata: ["held_s": "\(held)"])
            for peer in rest where peer.machine.state == .idle { peer.handle(.start) }
        }
        startHold?.start(after: 0.05, repeat: 0.05)
    }

    /// How often WireGuard is read while a peer's counters move.
    static let activePollInterval = 0.1

    /// Every peer idle: a tap on each interface wakes the reads at the first packet into a tunnel.
    private func openTaps() {
        let now = loop.now
        for interface in interfaces where taps[interface.name] == nil {
            let name = interface.name
            if let failed = tapFailedAt[name], now - failed < Self.tapRetry { continue }
            do {
                taps[name] = try TunnelTap(loop: loop, interface: name) { [unowned self] in self.trafficIntoIdleTunnel(name) }
                tapFailedAt[name] = nil
            } catch {
                if tapFailedAt[name] == nil {
                    logger.info("cannot watch \(name) for traffic (\(error)): an idle tunnel is read every poll_interval")
                }
                tapFailedAt[name] = now
            }
        }
    }

    func closeTaps() {
        for tap in taps.values { tap.close() }
        taps = [:]
    }

    /// A packet went into an idle tunnel: read soon (`DevicePollPacer.intervalAfterTunnelPacket`)
    /// rather than at the idle read, so that a path that died while idle is suspected from the
    /// first packets of the traffic that finds it dead.
    private func trafficIntoIdleTunnel(_ interface: String) {
        closeTaps()
        guard let timer = pollTimers.first else { return }
        let delay = pollPacer.intervalAfterTunnelPacket(idleDueIn: timer.isActive ? timer.remaining : monitor.pollInterval)
        logger.debug("traffic into an idle tunnel: reading WireGuard", metadata: ["interface": interface,
                                                                                  "in_ms": "\(Int((delay * 1000).rounded()))"])
        timer.start(after: delay)
    }

    private func pollDevices() {
        for interface in interfaces {
            let device = interface.poll()
            if let change = interface.watch.observe(device, interface: interface.name) {
                interfaceChanged(interface, change)
            }
            guard let device else { continue }
            let now = WallClock.now()
            let byKey = device.peersByKey()
            for peer in peers where peer.interface === interface {
                if let state = byKey[peer.peerKey.hex] { peer.observe(state, now: now) }
            }
        }
    }

    private func startNetworkWatch() {
        do {
            networkWatch = try NetworkWatch(loop: loop) { [unowned self] changes in
                let changes = changes.filter(NetworkWatch.matters)
                guard !changes.isEmpty else { return }
                let what = NetworkWatch.describe(changes)
                self.logger.info("network changed", metadata: ["changes": "\(what)"])
                // A WireGuard interface of ours deleted or added again: what we wrote to it is gone.
                let recreated = Set(changes.compactMap(NetworkWatch.recreatedLink))
                let added = Set(changes.compactMap(NetworkWatch.addedLink))
                // A tap is bound to the interface's old index: the next idle read opens another.
                for name in recreated {
                    self.taps.removeValue(forKey: name)?.close()
                    self.tapFailedAt[name] = nil
                }
                for peer in self.peers {
                    let name = peer.interface.name
                    if recreated.contains(name) {
                        peer.deviceReset(added.contains(name) ? "\(name) re-created" : "\(name) removed")
                    } else {
                        peer.networkChanged(what)
                    }
                }
            }
        } catch {
            logger.warning("netlink unavailable, network changes will not trigger re-discovery: \(error)")
        }
    }

    /// Event mode, when the file asks for periodic pings (`ping_monitor.interval`, or the peer's
    /// `ping.interval`): pings through the tunnel at that interval. Otherwise none: probes go out
    /// only to confirm a suspicion.
    func startPinging(_ peer: PeerRuntime) {
        guard peer.settings.ping?.periodic ?? pingMonitor.intervalIsExplicit else { return }
        peer.startPinging(interval: peer.settings.ping?.interval ?? pingMonitor.interval,
                          timeout: peer.settings.ping?.timeout ?? pingMonitor.timeout)
    }

    /// Per-peer lines that many peers repeat within seconds are summarised (`LogDigest`).
    private func startLogDigest() {
        let loop = self.loop, logger = self.logger
        let timer = TimerWatcher(loop: loop) { logger.writeDueSummaries(now: loop.now) }
        logDigestTimer = timer
        logger.control.digest = LogDigest()
        logger.control.clock = { loop.now }
        logger.control.scheduleSummary = { due in timer.start(after: max(0, due - loop.now)) }
    }

    private func shutdown(status: Int32) {
        logger.writeDueSummaries(now: .infinity)
        logDigestTimer?.stop()
        stopOperations()
        for timer in pollTimers { timer.stop() }
        closeTaps()
        mappingCheckTimer?.stop()
        networkWatch?.stop()
        exitStatus = status
        for peer in peers { peer.stop() }
        // A `ts` accepted in this loop iteration is not lost (what was waiting to publish is
        // cancelled by the peers' stop and sends nothing).
        builder.replayMemory?.flush()
        oneshotTimer?.stop()
        loop.stop()
    }
}
