import EventLoop
import Glibc
import Probes
import SystemCalls

/// What the daemon keeps for operating it: the config it runs with (a reload diffs against
/// it), where it came from, the signal watchers and timers of SIGUSR1/SIGUSR2/SIGHUP, the status
/// file and systemd, and what was last reported (so that nothing is repeated needlessly).
final class OperationsState {
    /// The config applied now.
    var config: Config
    /// The file it came from (SIGHUP re-reads it).
    var configPath: String?
    /// The process environment ($NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID).
    var environment: [String: String] = [:]
    /// Wall-clock start time.
    let startedAt = WallClock.now()
    var watchers: [SignalWatcher] = []
    var statusTimer: TimerWatcher?
    /// How soon the status file is written again (its cost on a hub).
    var statusPacer = StatusRefreshPacer()
    var watchdogTimer: TimerWatcher?
    var notifier: SystemdNotifier?
    var lastSummary: String?
    /// The last error writing each file, so a persistent one is logged once.
    var writeErrors: [String: String] = [:]

    init(config: Config) { self.config = config }
}

extension Daemon {
    /// The config file the daemon was loaded from: SIGHUP re-reads it, status shows it.
    public var configPath: String? {
        get { operations.configPath }
        set { operations.configPath = newValue }
    }

    /// The process environment, for systemd's notification socket and watchdog.
    public var environment: [String: String] {
        get { operations.environment }
        set { operations.environment = newValue }
    }

    /// Installs SIGUSR2 and SIGHUP, writes the first status file, starts its refresh and the
    /// systemd watchdog, and tells systemd start-up is done.
    func startOperations() {
        let ops = operations
        ops.watchers.append(SignalWatcher(loop: loop, signal: SIGUSR2) { [unowned self] in self.rediscoverAll() })
        ops.watchers.append(SignalWatcher(loop: loop, signal: SIGHUP) { [unowned self] in self.reload() })
        let timer = TimerWatcher(loop: loop) { [unowned self] in
            self.refreshStatus()
            self.operations.statusTimer?.start(after: self.operations.statusPacer.interval)
        }
        timer.start(after: ops.statusPacer.interval)
        ops.statusTimer = timer
        ops.notifier = SystemdNotifier(environment: ops.environment)
        if let notifier = ops.notifier {
            logger.debug("systemd notification socket \(notifier.socketPath)",
                         metadata: ["watchdog_s": "\(notifier.watchdogInterval.map { "\($0)" } ?? "off")"])
            if let interval = notifier.watchdogInterval {
                let watchdog = TimerWatcher(loop: loop) { [unowned self] in self.notify("WATCHDOG=1") }
                watchdog.start(after: interval, repeat: interval)
                ops.watchdogTimer = watchdog
            }
        }
        refreshStatus()
        notify("READY=1")
    }

    /// At shutdown: tells systemd, stops the timers, removes the status and metrics files (a
    /// daemon that is gone has no status).
    func stopOperations() {
        notify("STOPPING=1")
        operations.statusTimer?.stop()
        operations.watchdogTimer?.stop()
        try? Sys.unlink(operations.config.statusFile)
        if let metrics = operations.config.metricsFile { try? Sys.unlink(metrics) }
    }

    /// SIGUSR1: the health table to the log, the JSON to the status file. Disturbs nothing.
    func dumpHealth() {
        let snapshot = healthSnapshot()
        let json = snapshot.json()
        for line in StatusText.render(json, now: snapshot.takenAt).split(separator: "\n") {
            logger.info("\(line)", metadata: ["health": "dump"])
        }
        // One machine-readable line per peer with what the table does not show: the NAT in
        // front of WireGuard's port and whether a direct path is possible at all. Beyond the
        // table's detail limit the summary stands alone (`status -peer NAME` has the rest).
        for peer in peers where peers.count <= StatusText.detailLimit {
            let (state, detail) = StatusWords.stateKey(peer.machine.state)
            var metadata: Logger.Metadata = ["interface": "\(peer.interface.name)", "peer": "\(peer.name)",
                                             "state": "\(state)"]
            if let detail { metadata["state_detail"] = detail }
            for (family, nat) in peer.interface.natBehaviour { metadata["nat_\(family)"] = "\(nat)" }
            if let outlook = peer.directPath { metadata["direct_path"] = "\(outlook)" }
            logger.info("health", metadata: metadata)
        }
        writeFiles(snapshot, json: json.encoded())
        summarize(snapshot)
    }

    /// Every `StatusRefreshPacer.interval`: the status (and metrics) file, and systemd's STATUS=
    /// when the summary changed.
    func refreshStatus() {
        let started = WallClock.monotonicMicroseconds()
        let snapshot = healthSnapshot()
        writeFiles(snapshot, json: snapshot.encodedJSON())
        summarize(snapshot)
        operations.statusPacer.noteWrite(seconds: Double(WallClock.monotonicMicroseconds() &- started) / 1e6)
    }

    /// SIGUSR2: every peer re-discovers now, as after a network change.
    func rediscoverAll() {
        logger.info("SIGUSR2: re-discovering every peer", metadata: ["peers": "\(peers.count)"])
        for peer in peers { peer.rediscover() }
    }

    /// Sends `message` to systemd if it asked for notifications; a failure is logged once.
    func notify(_ message: String) {
        guard let notifier = operations.notifier else { return }
        do {
            try notifier.send(message)
        } catch {
            reportWriteError(notifier.socketPath, "\(error)")
        }
    }

    private func summarize(_ snapshot: HealthSnapshot) {
        let summary = snapshot.summary
        guard summary != operations.lastSummary else { return }
        operations.lastSummary = summary
        notify("STATUS=\(summary)")
    }

    private func writeFiles(_ snapshot: HealthSnapshot, json: String) {
        let config = operations.config
        write(json + "\n", to: config.statusFile)
        if let metrics = config.metricsFile { write(MetricsText.render(snapshot), to: metrics) }
    }

    private func write(_ text: String, to path: String) {
        do {
            try AtomicFile.write(text, to: path)
            if operations.writeErrors.removeValue(forKey: path) != nil { logger.info("writing \(path) works again") }
        } catch {
            reportWriteError(path, "\(error)")
        }
    }

    private func reportWriteError(_ path: String, _ error: String) {
        guard operations.writeErrors[path] != error else { return }
        operations.writeErrors[path] = error
        logger.warning("cannot write \(path): \(error)")
    }

    /// The health of every peer now, with a fresh WireGuard reading per interface.
    func healthSnapshot() -> HealthSnapshot {
        let now = WallClock.now()
        var devices: [ObjectIdentifier: Result<WireGuardDeviceState, WireGuardError>] = [:]
        var fresh: Set<ObjectIdentifier> = []
        for interface in interfaces {
            // The poll's read when it is recent (a status file a second behind is no less true).
            let (device, isFresh) = interface.snapshotDevice(maxAge: min(2, monitor.pollInterval * 2))
            devices[ObjectIdentifier(interface)] = device
            if isFresh { fresh.insert(ObjectIdentifier(interface)) }
        }
        // Each device's peers by key once: a lookup per peer in the list was quadratic at 1,000 peers.
        var byKey: [ObjectIdentifier: [String: WireGuardPeerState]] = [:]
        for (id, device) in devices { if case .success(let device) = device { byKey[id] = device.peersByKey() } }
        let entries = peers.map { peer -> PeerHealth in
            var state: WireGuardPeerState?
            var error: String?
            switch devices[ObjectIdentifier(peer.interface)] {
            case .success?:
                state = byKey[ObjectIdentifier(peer.interface)]?[peer.peerKey.hex]
                if state == nil { error = "not configured on \(peer.interface.name)" }
            case .failure(let failure)?:
                error = "\(failure)"
            case nil:
                error = "interface not read"
            }
            // A read made now is news to the peer's history; the poll's was given to it already.
            if let state, fresh.contains(ObjectIdentifier(peer.interface)) { peer.noteReading(state, now: now) }
            return PeerHealth(interface: peer.interface.name, name: peer.name, publicKey: peer.peerKey.base64,
                              state: peer.machine.state, repairing: peer.machine.repairing, lastSignal: peer.lastTrigger,
                              history: peer.history, wireGuard: state, wireGuardError: error, pingTarget: peer.pingTarget,
                              ping: peer.pingTally, nat: peer.interface.natBehaviour, directPath: peer.directPath,
                              stores: peer.records.health,
                              keepalive: peer.keepaliveLearner)
        }
        return HealthSnapshot(version: StunmeshdMain.version, pid: Sys.getpid(), startedAt: operations.startedAt,
                              takenAt: now, refreshInterval: operations.statusPacer.interval, configFile: operations.configPath,
                              monitorMode: monitor.mode.rawValue, peers: entries)
    }
}

extension Daemon {
    /// The WireGuard device under `interface` was re-created or its listen port changed: new
    /// ping sockets, and every peer on it re-discovers (as after a network change) without a
    /// restart of the daemon.
    func interfaceChanged(_ interface: InterfaceRuntime, _ change: String) {
        logger.warning("\(change): re-discovering its peers", metadata: ["interface": "\(interface.name)"])
        interface.resetPingers()
        for peer in peers where peer.interface === interface { peer.deviceReset(change) }
    }
}
