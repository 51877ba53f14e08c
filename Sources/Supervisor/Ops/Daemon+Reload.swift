import SystemCalls

extension Daemon {
    /// SIGHUP: re-reads the config file and applies the difference to the running daemon, all or
    /// nothing. A file that does not load, a key that cannot change while running (`monitor`),
    /// or a part that cannot be made (a bad key, an HTTP store without libcurl) rejects the whole
    /// reload with its reason, and the running config stays. Otherwise: removed and changed peers
    /// stop, new and changed peers start on the running interfaces and stores (reused where their
    /// settings did not change, `RuntimeBuilder`), unchanged peers go on untouched (the same
    /// runtime, its timers and history), and `log`, `status_file`, `metrics_file` and
    /// `ping_monitor` take effect at once.
    func reload() {
        guard let path = operations.configPath else {
            logger.warning("SIGHUP: no config file to reload")
            return
        }
        logger.info("SIGHUP: reloading the config", metadata: ["file": "\(path)"])
        notify(SystemdNotifier.reloadingMessage())
        defer { notify("READY=1") }
        let new: Config
        let diff: ConfigDiff
        let plan: RuntimeBuilder.Plan
        do {
            new = try ConfigLoader.load(path: path)
            diff = ConfigDiff(old: operations.config, new: new)
            if let refusal = diff.refusal { throw refusal }
            plan = try builder.plan(new, peers: Set(diff.start))
        } catch {
            for problem in (error as? ConfigError)?.all ?? [] { logger.error("reload rejected, the running config stays: \(problem)") }
            if !(error is ConfigError) { logger.error("reload rejected, the running config stays: \(error)") }
            return
        }
        for warning in new.warnings { logger.warning("\(warning)") }
        apply(diff, config: new, plan: plan)
    }

    /// Stops, keeps and starts peers as `diff` says, with the new peers and parts of `plan`.
    func apply(_ diff: ConfigDiff, config new: Config, plan: RuntimeBuilder.Plan) {
        let old = operations.config
        let stopping = Set(diff.stop)
        for peer in peers where stopping.contains(peer.id) {
            peer.stop()
            logger.info("peer stopped by reload", metadata: ["interface": "\(peer.interface.name)", "peer": "\(peer.name)"])
        }
        builder.commit(plan)
        let kept = Dictionary(peers.filter { !stopping.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Config order, so that status lists peers as the file does.
        peers = ConfigDiff.specs(new).map(\.id).compactMap { plan.peers[$0] ?? kept[$0] }
        interfaces = new.interfaces.compactMap { builder.running.interfaces[$0.name] }
        closeTaps()  // the next idle read opens them for the interfaces now in use
        if old.statusFile != new.statusFile { try? Sys.unlink(old.statusFile) }
        if let metrics = old.metricsFile, metrics != new.metricsFile { try? Sys.unlink(metrics) }
        if old.log != new.log {
            logger.control.minimumLevel = StunmeshdMain.minimumLevel(new.log.level)
            logger.control.format = new.log.format == .json ? .json : .logfmt
            logger.info("log settings changed", metadata: ["level": "\(new.log.level)", "format": "\(new.log.format)"])
        }
        pingMonitor = new.pingMonitor
        operations.config = new
        for id in diff.start {
            guard let peer = plan.peers[id] else { continue }
            logger.info("peer started by reload", metadata: ["interface": "\(peer.interface.name)", "peer": "\(peer.name)"])
            peer.watchesStores = monitor.mode == .events
            peer.readingInterval = monitor.pollInterval
            peer.handle(.start)
            if monitor.mode == .events { startPinging(peer) }
        }
        logger.info("config reloaded", metadata: ["started": "\(diff.start.count)", "stopped": "\(diff.stop.count)",
                                                  "changed": "\(diff.changed.count)", "unchanged": "\(diff.unchanged.count)"])
        refreshStatus()
    }
}

extension PeerRuntime {
    /// The peer's identity in config.
    var id: PeerID { PeerID(interface: interface.name, peer: name) }
}
