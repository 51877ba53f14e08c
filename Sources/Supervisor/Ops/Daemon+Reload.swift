import SystemCalls

extension Daemon {
    /// SIGHUP: re-reads the config file and applies only the difference. A file that does not
    /// load, or a config the daemon cannot run (an unknown store kind, a bad key), is rejected
    /// with its error and the running config stays. Removed and changed peers stop, new and
    /// changed peers start; unchanged peers go on untouched (the same runtime, its timers and
    /// history). `log` and `monitor` changes wait for a restart.
    func reload() {
        guard let path = operations.configPath else {
            logger.warning("SIGHUP: no config file to reload")
            return
        }
        logger.info("SIGHUP: reloading the config", metadata: ["file": "\(path)"])
        notify(SystemdNotifier.reloadingMessage())
        defer { notify("READY=1") }
        let new: Config
        let candidate: Daemon
        do {
            new = try ConfigLoader.load(path: path)
            candidate = try Daemon(config: new, logger: logger, loop: loop)
        } catch {
            logger.error("reload rejected, the running config stays: \(error)")
            return
        }
        for warning in new.warnings { logger.warning("\(warning)") }
        apply(ConfigDiff(old: operations.config, new: new), config: new, from: candidate)
    }

    /// Stops, keeps and starts peers as `diff` says, taking new peers from `candidate` (built
    /// from `config` on this loop) and letting them share the interfaces and stores in use.
    func apply(_ diff: ConfigDiff, config new: Config, from candidate: Daemon) {
        let old = operations.config
        if !diff.restartOnly.isEmpty {
            logger.warning("changed \(diff.restartOnly.joined(separator: ", ")): takes effect at the next start")
        }
        let stopping = Set(diff.stop)
        for peer in peers where stopping.contains(peer.id) {
            peer.stop()
            logger.info("peer stopped by reload", metadata: ["interface": "\(peer.interface.name)", "peer": "\(peer.name)"])
        }
        let kept = Dictionary(peers.filter { !stopping.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let offered = Dictionary(candidate.peers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let starting = Set(diff.start)
        var next: [PeerRuntime] = []
        var started: [PeerRuntime] = []
        for id in diff.unchanged + diff.start {
            if let peer = kept[id], !starting.contains(id) {
                next.append(peer)
            } else if let peer = offered[id] {
                let interface = interfaces.first {
                    $0.name == peer.interface.name && $0.stunServers == peer.interface.stunServers
                } ?? peer.interface
                peer.share(interface: interface)
                next.append(peer)
                started.append(peer)
            }
        }
        // Config order, so that status lists peers as the file does.
        let order = ConfigDiff.specs(new).map(\.id)
        peers = order.compactMap { id in next.first { $0.id == id } }
        var inUse: [InterfaceRuntime] = []
        for peer in peers where !inUse.contains(where: { $0 === peer.interface }) { inUse.append(peer.interface) }
        interfaces = inUse
        if old.statusFile != new.statusFile { try? Sys.unlink(old.statusFile) }
        if let metrics = old.metricsFile, metrics != new.metricsFile { try? Sys.unlink(metrics) }
        var applied = new
        applied.log = old.log
        applied.monitor = old.monitor
        operations.config = applied
        for peer in started {
            logger.info("peer started by reload", metadata: ["interface": "\(peer.interface.name)", "peer": "\(peer.name)"])
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
