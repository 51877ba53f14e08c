import EventLoop
import SystemCalls

extension Daemon {
    /// Event mode: each interface checks its public mapping by STUN while its peers are idle
    /// (`MappingCheck`); one timer serves every interface and wakes only when some check is due.
    func startMappingChecks() {
        mappingCheckTimer = TimerWatcher(loop: loop) { [unowned self] in self.runMappingChecks() }
        runMappingChecks()
    }

    /// Starts the checks that are due and sleeps until the next one is.
    func runMappingChecks() {
        let rule = MappingCheck(interval: monitor.mappingCheckInterval)
        var next = rule.interval
        for interface in interfaces {
            let watching = peers.filter { $0.interface === interface && $0.pathBelievedGood }
            switch rule.decide(now: loop.now, lastExchange: interface.discovery.lastExchangeAt, watching: watching.count) {
            case .wait(let seconds):
                next = min(next, seconds)
            case .check:
                checkMapping(of: interface)
                next = min(next, rule.interval)
            }
        }
        mappingCheckTimer?.start(after: max(1, next))
    }

    /// One exchange from the interface's port; each peer judges the answer against what it
    /// published (`PeerRuntime.mappingChecked`).
    private func checkMapping(of interface: InterfaceRuntime) {
        interface.checkMapping { [weak self, weak interface] outcome in
            guard let self, let interface else { return }
            self.logger.debug("mapping check", metadata: ["interface": "\(interface.name)",
                                                          "found": "\(outcome.endpoints)"])
            for peer in self.peers where peer.interface === interface { peer.mappingChecked(outcome) }
        }
    }
}
