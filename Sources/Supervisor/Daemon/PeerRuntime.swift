import EventLoop
import Probes
import Record
import Stun
import SystemCalls

/// One managed peer at run time: its state machine, and the code that performs the machine's
/// actions against the world (WireGuard, STUN, the store, timers) and turns their results back
/// into events. All decisions stay in `PeerStateMachine`; this type only carries them out.
final class PeerRuntime {
    /// The peer's name in config (`interfaces.<if>.peers.<name>`).
    let name: String
    /// The interface the peer belongs to.
    let interface: InterfaceRuntime
    /// The peer's WireGuard public key.
    let peerKey: WireGuardKey
    /// The peer's settings.
    let settings: PeerConfig
    /// The peer's stores: publishes our record to all, reads the peer's from all.
    let records: RecordExchange
    let logger: Logger

    private(set) var machine: PeerStateMachine
    /// Judges the path from WireGuard samples and pings (event mode only).
    private(set) var pathMonitor: PathMonitor
    /// Learns the NAT's idle lifetime and chooses the keepalive (event mode; made once the
    /// interface's keys, and so the leader, are known).
    private(set) var keepaliveLearner: KeepaliveLearner?
    /// Seconds between WireGuard readings while idle (the learner's resolution).
    var readingInterval = 1.0
    /// The endpoint the learner's knowledge is about.
    private var learnedFor: Endpoint?
    /// Wall-clock time the last repair started, with its signal (for status).
    private(set) var lastTrigger: (signal: PathSignal, at: Double)?
    /// State since when, transitions, endpoints, mappings, restores (for status and metrics).
    var history = PeerHistory(now: WallClock.now())
    /// Ping RTT of the last answered ping, and counts (for status).
    /// Probes sent and answered, since start and recently (status).
    private(set) var pingTally = PingTally()
    private var pingTimer: TimerWatcher?
    /// Sends the rest of a confirmation burst, one probe per firing.
    private var burstTimer: TimerWatcher?
    /// Sends the rest of the keepalive learner's test probes.
    private var testProbeTimer: TimerWatcher?
    private(set) var pingTarget: IPAddress?
    private var pingError: String?
    /// Serial of the newest probe sent (the monitor orders results by it).
    private var pingSerial = 0
    /// WireGuard's last-handshake time as last polled.
    private var lastHandshakeSeen: Double = 0
    private var pending: [PeerStateMachine.Event] = []
    private var announcedWatch = false
    /// A store said the partner's record changed since our last read (that read is urgent).
    private var notified = false
    private var handling = false
    private var discovery: PortDiscovery.Request?
    /// What the NAT behaviours say about a direct path to this peer, when something known
    /// stands in its way (for status; logged when it changes).
    var directPath: DirectPathOutlook?
    /// Counts operations so that a completion that outlived its operation (after stop) is dropped.
    private var operation = 0
    private lazy var retryTimer = TimerWatcher(loop: interface.loop) { [unowned self] in self.handle(.timerFired(.retry)) }
    private lazy var refreshTimer = TimerWatcher(loop: interface.loop) { [unowned self] in self.handle(.timerFired(.refresh)) }
    /// First contact's opening (docs/first-contact.md), while it runs: the rules, the partner's
    /// endpoint it punches, the listener it punches through and the pair's punch tags.
    private var opening: (rules: Opening, endpoint: Endpoint, listener: PunchListener, tags: PunchAuthenticator)?
    private lazy var openingTimer = TimerWatcher(loop: interface.loop) { [unowned self] in self.openingTick() }
    /// Called after every event with the new state (the daemon watches for -oneshot).
    var onStateChange: ((PeerRuntime) -> Void)?
    /// Whether stores that notify changes are watched for the peer's record (event mode; the
    /// interval mode keeps stunmesh-go's refresh-only behaviour).
    var watchesStores = false
    /// Whether the interface's poll feeds `observe` with WireGuard's counters (event mode).
    var countersPolled = false

    init(name: String, interface: InterfaceRuntime, peerKey: WireGuardKey, settings: PeerConfig,
         records: RecordExchange, machineSettings: PeerStateMachine.Settings, seed: UInt64, logger: Logger,
         pingIsExplicit: Bool = false) {
        self.name = name
        self.interface = interface
        self.peerKey = peerKey
        self.settings = settings
        self.records = records
        self.machine = PeerStateMachine(settings: machineSettings, seed: seed)
        self.pathMonitor = PathMonitor(pingIsExplicit: pingIsExplicit || settings.ping != nil)
        var logger = logger
        logger[metadataKey: "interface"] = "\(interface.name)"
        logger[metadataKey: "peer"] = "\(name)"
        self.logger = logger
    }

    /// Feeds an event to the machine and performs what it returns. Events raised while
    /// performing (a synchronous WireGuard write) are queued, never handled re-entrantly.
    func handle(_ event: PeerStateMachine.Event) {
        pending.append(event)
        guard !handling else { return }
        handling = true
        while !pending.isEmpty {
            let next = pending.removeFirst()
            let before = machine.state
            let actions = machine.handle(next)
            history.record(next, from: before, to: machine.state, at: WallClock.now())
            if machine.state != before {
                logger.debug("state \(before) -> \(machine.state)")
            }
            for action in actions { perform(action) }
        }
        handling = false
        updateWatches()
        onStateChange?(self)
    }

    /// Keeps the stores' watches of the partner's record (`RecordExchange.watchRemote`: every
    /// store that can tell, for as long as the peer runs; a store at its cap of listens is asked
    /// again after each event).
    private func updateWatches() {
        guard watchesStores, machine.state != .stopped, let keys = interface.keys else { return }
        let watching = records.watchRemote(keys: keys) { [weak self] in
            self?.notified = true
            self?.handle(.remoteChanged)
        }
        if watching > 0 && !announcedWatch {
            announcedWatch = true
            logger.debug("watching the stores for the peer's record", metadata: ["stores": "\(watching)"])
        }
    }

    /// Takes a WireGuard reading of this peer (from the interface's poll) and reports a change of
    /// judgement to the machine.
    func observe(_ state: WireGuardPeerState, now: Double) {
        noteHandshake(state)
        noteReading(state, now: now)
        // While we lead a learned keepalive the follower stays silent on an idle flow: our
        // keepalives expect nothing back; as follower ours fire only when the leader's are late.
        var role = PathMonitor.KeepaliveRole.both
        if let learner = keepaliveLearner, learner.fixedKeepalive == nil { role = learner.leads ? .leading : .following }
        let sample = PathMonitor.Sample(now: now, rxBytes: state.rxBytes, txBytes: state.txBytes,
                                        lastHandshake: state.lastHandshake, keepalive: state.persistentKeepalive,
                                        keepaliveRole: role)
        report(pathMonitor.observe(sample))
        endRepairOnTraffic()
        learnKeepalive(state, now: now)
    }

    /// A newer last-handshake time: the machine hears of it once, and an opening ends.
    private func noteHandshake(_ state: WireGuardPeerState) {
        guard state.lastHandshake > lastHandshakeSeen else { return }
        lastHandshakeSeen = state.lastHandshake
        if opening != nil {
            // The initiation that led to this handshake may still be unread on the punch socket
            // (another callback of this loop iteration read the device first): hear it before
            // the opening ends, so the opening's record of who initiated is complete.
            interface.punches.drain()
        }
        if opening != nil { endOpening(because: "a handshake completed") }
        handle(.handshakeCompleted)
    }

    /// Feeds the keepalive learner a reading and carries out what it asks.
    private func learnKeepalive(_ state: WireGuardPeerState, now: Double) {
        if keepaliveLearner == nil, let keys = interface.keys {
            keepaliveLearner = KeepaliveLearner(fixedKeepalive: settings.keepaliveIsExplicit ? settings.keepalive : nil,
                                                leads: keys.publicKey.bytes.lexicographicallyPrecedes(peerKey.bytes),
                                                readingInterval: readingInterval)
        }
        let pathUp = machine.state == .monitoring && !machine.keepaliveWithheld && !pathMonitor.isFailing
            && machine.configuredEndpoint != nil && state.lastHandshake > 0
        updateLearner { $0.observe(now: now, rxBytes: state.rxBytes, txBytes: state.txBytes, pathUp: pathUp) }
    }

    /// Every input to the learner goes through here: a change of phase is logged whichever input
    /// caused it (a test ends on a reading, a probe's answer or its loss), then the actions are
    /// carried out.
    private func updateLearner(_ input: (inout KeepaliveLearner) -> [KeepaliveLearner.Action]) {
        guard var learner = keepaliveLearner else { return }
        let before = learner.phase
        let heardBefore = learner.lastHeard?.idle
        let actions = input(&learner)
        keepaliveLearner = learner
        if let heard = learner.lastHeard, heard.idle != heardBefore {
            logger.debug("keepalive learning: traffic after a silence", metadata: [
                "idle_s": "\(heard.idle)", "rx": "\(heard.rxDelta)", "tx": "\(heard.txDelta)", "counted": "\(heard.counted)"])
        }
        if learner.phase != before {
            logger.debug("keepalive learning: \(before) -> \(learner.phase)", metadata: [
                "proven_s": "\(learner.proven.map { "\($0)" } ?? "none")", "refuted_s": "\(learner.refuted.map { "\($0)" } ?? "none")",
                "passive_s": "\(learner.passive.map { "\($0)" } ?? "none")", "probed_s": "\(learner.probed.map { "\($0)" } ?? "none")"])
        }
        if learner.phase != before, learner.phase == .learned {
            logger.info("keepalive learned", metadata: ["keepalive": "\(learner.chosen)",
                                                        "proven_s": "\(Int(learner.proven ?? 0))",
                                                        "refuted_s": "\(learner.refuted.map { "\(Int($0))" } ?? "none")"])
        }
        carryOut(actions)
    }

    private func carryOut(_ actions: [KeepaliveLearner.Action]) {
        for action in actions {
            switch action {
            case .setKeepalive(let seconds):
                setKeepalive(seconds)
            case .kick(let seconds):
                setKeepalive(0)
                setKeepalive(seconds)
            case .probe(let count, let spacing, let timeout):
                if let learner = keepaliveLearner {
                    var metadata: Logger.Metadata = ["role": learner.leads ? "leader" : "follower"]
                    if case .testing(let silence) = learner.phase { metadata["silence_s"] = "\(silence)" }
                    logger.debug("keepalive test: probing after a silence", metadata: metadata)
                }
                sendTestProbes(count: count, spacing: spacing, timeout: timeout)
            case .askPartnerToSend:
                logger.debug("keepalive test: the far NAT closed; asking the partner to send")
                knock()
            }
        }
        if let closed = keepaliveLearner?.closedUntil { pathMonitor.quiet(until: closed) }
    }

    /// The learner's test: `count` probes `spacing` apart; their answers go to the learner, and
    /// the path monitor raises no suspicion while they are out.
    private func sendTestProbes(count: Int, spacing: Double, timeout: Double) {
        let now = WallClock.now()
        pathMonitor.quiet(until: now + Double(count) * spacing + timeout + 1)
        var left = count
        func one() {
            left -= 1
            let sent = sendProbe(timeout: timeout, sessionRequired: false) { [weak self] answered in
                guard let self else { return }
                self.logger.debug("keepalive test probe \(answered ? "answered" : "lost")")
                let now = WallClock.now()
                self.updateLearner { answered ? $0.probeAnswered(now: now) : $0.probeLost(now: now) }
            }
            if !sent, keepaliveLearner != nil {
                logger.debug("keepalive test: no probe can go out")
                left = 0
                updateLearner { $0.probeUnavailable(now: now) }
            }
        }
        one()
        guard left > 0 else { return }
        let timer = TimerWatcher(loop: interface.loop) { [weak self] in
            guard let self, left > 0, self.machine.state != .stopped else {
                self?.testProbeTimer?.stop()
                return
            }
            one()
            if left == 0 { self.testProbeTimer?.stop() }
        }
        testProbeTimer?.stop()
        testProbeTimer = timer
        timer.start(after: spacing, repeat: spacing)
    }

    /// Keeps a WireGuard reading in the history (endpoint changes, rx progress) without judging it.
    func noteReading(_ state: WireGuardPeerState, now: Double) {
        history.observe(endpoint: state.endpoint, rxBytes: state.rxBytes, lastHandshake: state.lastHandshake, at: now)
    }

    /// A repair that no failing probe holds open (a manual or network trigger on a path that
    /// works), or a keepalive withheld as responder, ends when WireGuard receives data after the
    /// endpoint was written during it: the path is proven to work, so polling the store stops.
    private func endRepairOnTraffic() {
        let since = machine.repairing != nil ? (lastTrigger?.at ?? 0) : 0
        if PathMonitor.endsOnTraffic(repairing: machine.repairing != nil, keepaliveWithheld: machine.keepaliveWithheld,
                                     failing: pathMonitor.isFailing, trafficAfterWrite: history.trafficAfterWrite(since: since)) {
            handle(.pathRecovered)
        }
    }

    /// Starts pinging the peer through the tunnel every `interval` (explicit `ping_monitor` or
    /// `ping` in the file, stunmesh-go's probing): the configured `ping.target`, or else the
    /// peer's own tunnel address (a /32 or /128 in its allowed IPs). Without them the monitor asks
    /// for probes only to confirm a suspicion (`PathMonitor.Verdict.confirm`).
    func startPinging(interval: Double, timeout: Double) {
        let timer = TimerWatcher(loop: interface.loop) { [unowned self] in self.sendProbe(timeout: timeout) }
        timer.start(after: interval, repeat: interval)
        pingTimer = timer
    }

    /// A burst of `burst.count` probes, `burst.spacing` apart, to confirm or clear a suspicion;
    /// it stops as soon as the monitor has decided (an answer, rx, or every probe lost).
    private func sendBurst(_ burst: PathMonitor.ProbeBurst) {
        burstTimer?.stop()
        pathMonitor.burstSent(firstSerial: pingSerial + 1, count: burst.count)
        guard sendProbe(timeout: burst.timeout) else {
            // No probe can go out (no target, no session): the burst cannot decide.
            logger.debug("path suspect, but no probe can go out: the next suspicion waits",
                         metadata: ["quiet_s": "\(Int(PathMonitor.abandonedQuiet))"])
            pathMonitor.burstAbandoned(now: WallClock.now())
            return
        }
        var left = burst.count - 1
        guard left > 0 else { return }
        let timer = TimerWatcher(loop: interface.loop) { [weak self] in
            guard let self, left > 0, self.machine.state != .stopped, self.pathMonitor.isConfirming else {
                self?.burstTimer?.stop()
                return
            }
            left -= 1
            if !self.sendProbe(timeout: burst.timeout) {
                self.pathMonitor.burstAbandoned(now: WallClock.now())
                left = 0
            }
            if left == 0 { self.burstTimer?.stop() }
        }
        burstTimer = timer
        timer.start(after: max(burst.spacing, 0.01), repeat: max(burst.spacing, 0.01))
    }

    /// Sends one probe; false when none may or can go out. Its result goes to the path monitor,
    /// or to `result` when given (the keepalive learner's test probes, which may go out after a
    /// silence longer than the session: `sessionRequired` false).
    @discardableResult
    private func sendProbe(timeout: Double, sessionRequired: Bool = true, result: ((Bool) -> Void)? = nil) -> Bool {
        let now = WallClock.now()
        let device = interface.lastDevice?.peer(peerKey.hex)
        guard pathMonitor.mayPing(now: now, endpointConfigured: machine.configuredEndpoint != nil,
                                  wireGuardHasEndpoint: device?.endpoint != nil, sessionRequired: sessionRequired) else { return false }
        guard result == nil || pathMonitor.probesWork else { return false }
        guard let target = settings.ping?.target ?? automaticPingTarget() else { return false }
        if target != pingTarget {
            pingTarget = target
            logger.info("pinging through the tunnel", metadata: ["target": "\(target)",
                                                                "explicit": "\(pathMonitor.pingIsExplicit)"])
        }
        let pinger: Pinger
        switch interface.pinger(family: target.family) {
        case .success(let p): pinger = p
        case .failure(let error):
            if pingError != "\(error)" { logger.warning("cannot ping through \(interface.name): \(error)") }
            pingError = "\(error)"
            return false
        }
        pingTally.noteSent()
        if let result {
            pinger.ping(target, timeout: timeout) { [weak self] outcome in
                guard let self, self.machine.state != .stopped else { return }
                if case .success(let rtt) = outcome {
                    self.pingTally.noteAnswered(rtt: rtt)
                } else {
                    self.pingTally.noteUnanswered()
                }
                if case .success = outcome { result(true) } else { result(false) }
            }
            return true
        }
        pingSerial += 1
        let serial = pingSerial
        let late: (Double) -> Void = { [weak self] rtt in
            guard let self, self.machine.state != .stopped else { return }
            self.logger.debug("probe answered late", metadata: ["rtt_ms": "\(Int(rtt * 1000))"])
            self.report(self.pathMonitor.observeLateAnswer(rtt: rtt, now: WallClock.now()))
        }
        pinger.ping(target, timeout: timeout, lateAnswer: late) { [weak self] result in
            guard let self, self.machine.state != .stopped else { return }
            switch result {
            case .success(let rtt):
                self.pingTally.noteAnswered(rtt: rtt)
                self.report(self.pathMonitor.observeProbe(serial: serial, answered: true, rtt: rtt, now: WallClock.now()))
            case .failure:
                self.pingTally.noteUnanswered()
                self.report(self.pathMonitor.observeProbe(serial: serial, answered: false, sentAt: now, now: WallClock.now()))
            }
        }
        return true
    }

    private func automaticPingTarget() -> IPAddress? {
        guard let state = interface.lastDevice?.peer(peerKey.hex) else { return nil }
        for prefix in state.allowedIPs {
            let parts = prefix.split(separator: "/")
            guard parts.count == 2, let address = IPAddress(String(parts[0])) else { continue }
            if (address.isIPv4 && parts[1] == "32") || (!address.isIPv4 && parts[1] == "128") { return address }
        }
        return nil
    }

    /// A change the network monitor saw that concerns this peer's path.
    /// In `monitoring`, no repair, the keepalive not withheld: the path is believed good.
    var pathBelievedGood: Bool {
        machine.state == .monitoring && machine.repair == nil && !machine.keepaliveWithheld
    }

    /// The interface's mapping check found `outcome`: if our public mapping moved from what we
    /// published (`MappingCheck.moved`) while the path is believed good, the cycle runs now —
    /// as for a network change, without declaring the path broken (it may be: the partner's
    /// packets go to the old mapping). Otherwise nothing.
    func mappingChecked(_ outcome: DiscoveryOutcome) {
        guard pathBelievedGood, MappingCheck.moved(found: outcome.endpoints, published: machine.publishedMapping) else { return }
        logger.info("our public mapping moved while idle", metadata: [
            "published": "\(machine.publishedMapping.map { "\($0)" } ?? "none")", "found": "\(outcome.endpoints)",
        ])
        trigger(.network("public mapping moved"))
    }

    func networkChanged(_ what: String) {
        interface.discovery.forget()  // our mapping may have moved: no answer from before counts
        interface.forgetDeviceRead()
        relearnKeepalive()
        trigger(.network(what))
    }

    /// The interface's WireGuard device was re-created or its listen port changed: what we wrote
    /// to it is gone; re-discover and write the endpoint again.
    func deviceReset(_ what: String) {
        interface.discovery.forget()
        interface.forgetDeviceRead()
        relearnKeepalive()
        lastTrigger = (.network(what), WallClock.now())
        handle(.deviceReset(what))
    }

    /// The network changed: the NATs' lifetimes may too.
    private func relearnKeepalive() {
        updateLearner { $0.reset(now: WallClock.now()) }
    }

    /// An operator asked for a re-discovery (SIGUSR2).
    func rediscover() {
        trigger(.manual)
    }

    private func report(_ verdict: PathMonitor.Verdict?) {
        switch verdict {
        case .failed(let signal)?: trigger(signal)
        case .recovered?: handle(.pathRecovered)
        case .confirm(let burst)?:
            let estimates = pathMonitor.estimates
            logger.debug("path suspect: confirming", metadata: [
                "probes": "\(burst.count)", "timeout_ms": "\(Int(burst.timeout * 1000))",
                "after_ms": "\(Int(pathMonitor.suspicionAfter * 1000))",
                "reply_wait_ms": estimates.replyWait.map { "\(Int($0 * 1000))" } ?? "none",
                "srtt_ms": estimates.srtt.map { "\(Int($0 * 1000))" } ?? "none"])
            sendBurst(burst)
        case .silent(let until)?:
            logger.debug("path silent after a burst: checking our mapping",
                         metadata: ["dead_in_ms": "\(Int(max(0, until - WallClock.now()) * 1000))"])
            checkOwnMapping()
        case nil: break
        }
    }

    /// The path went silent: one STUN exchange from WireGuard's port (shared with the interface's
    /// other peers, `PortDiscovery`). A mapping that moved from what we published is why the
    /// path is silent; the repair starts now instead of at the end of the silence.
    private func checkOwnMapping() {
        interface.checkMapping { [weak self] outcome in
            guard let self else { return }
            guard MappingCheck.moved(found: outcome.endpoints, published: self.machine.publishedMapping) else {
                return self.logger.debug("path silent: our mapping has not moved", metadata: ["found": "\(outcome.endpoints)"])
            }
            self.logger.info("our public mapping moved", metadata: [
                "published": "\(self.machine.publishedMapping.map { "\($0)" } ?? "none")", "found": "\(outcome.endpoints)",
            ])
            if let verdict = self.pathMonitor.mappingMoved() {
                self.report(verdict)
            } else if self.pathBelievedGood {
                self.trigger(.network("public mapping moved"))
            }
        }
    }

    private func trigger(_ signal: PathSignal) {
        lastTrigger = (signal, WallClock.now())
        handle(.pathFailed(signal))
    }

    /// Stops the peer: timers off, any STUN exchange cancelled; WireGuard is left as it is.
    func stop() {
        pingTimer?.stop()
        burstTimer?.stop()
        testProbeTimer?.stop()
        discovery?.cancel()
        discovery = nil
        records.stop()
        handle(.stop)
    }

    private func perform(_ action: PeerStateMachine.Action) {
        switch action {
        case .discover: discover()
        case .publish(let mapping): publish(mapping)
        case .readRemote: readRemote()
        case .knock: knock()
        case .setEndpoint(let endpoint, let keepalive, let kick): setEndpoint(endpoint, keepalive: keepalive, kick: kick)
        case .setKeepalive(let keepalive): setKeepalive(keepalive)
        case .punch(let endpoint): punch(endpoint)
        case .open(let endpoint): open(endpoint)
        case .endOpening: endOpening()
        case .armTimer(let timer, let seconds): self.timer(timer).start(after: seconds)
        case .cancelTimer(let timer): self.timer(timer).stop()
        case .log(.info, let message, let metadata): logger.info("\(message)", metadata: metadata)
        case .log(.warning, let message, let metadata): logger.warning("\(message)", metadata: metadata)
        }
    }

    private func timer(_ which: PeerStateMachine.Timer) -> TimerWatcher {
        switch which {
        case .retry: retryTimer
        case .refresh: refreshTimer
        }
    }

    /// Runs `completion` only if no newer operation started and the peer is not stopped.
    private func completion<T>(_ body: @escaping (PeerRuntime, T) -> Void) -> (T) -> Void {
        operation += 1
        let mine = operation
        return { [weak self] value in
            guard let self, self.operation == mine else { return }
            body(self, value)
        }
    }

    private func discover() {
        let device: WireGuardDeviceState
        do {
            // A read at most a second old: peers starting or repairing together share it.
            (device, _) = try interface.readDevice(maxAge: 1)
        } catch {
            handle(.discoveryFailed("\(error)"))
            return
        }
        guard device.peer(peerKey.hex) != nil else {
            handle(.discoveryFailed("peer \(peerKey.base64) is not configured on \(interface.name)"))
            return
        }
        discovery?.cancel()
        let families = interface.protocol.families
        let done = completion { (me: PeerRuntime, results: [IPFamily: Result<StunMappings, StunDiscoveryError>]) in
            me.discovery = nil
            me.handle(me.discoveryFinished(DiscoveryOutcome(families: families, results: results)))
        }
        discovery = interface.discovery.discover(families: families, port: device.listenPort, fwmark: device.fwmark,
                                                 servers: interface.stunServers, completion: done)
    }

    /// Carries out `knock`: fire and forget (its answer only logs; the repair's polls go on).
    private func knock() {
        guard let keys = interface.keys else { return }
        records.knock(keys: keys) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let written) where written.isEmpty:
                self.logger.debug("no store tells the peer of a change: not knocking")
            case .success(let written):
                self.logger.info("told the peer through the store", metadata: ["written": "\(written.joined(separator: ","))"])
            case .failure(let error):
                self.logger.warning("telling the peer through the store failed: \(error)")
            }
        }
    }

    private func publish(_ mapping: PublicEndpoints) {
        guard let keys = interface.keys else {
            handle(.publishFailed("the interface's keys are unknown"))
            return
        }
        let record = EndpointRecord(ipv4: mapping.ipv4, ipv6: mapping.ipv6,
                                    symmetricNAT: interface.symmetricFamilies.filter { mapping[$0] != nil })
        records.publish(record, keys: keys, completion: completion { (me: PeerRuntime, result: Result<RecordExchange.Published, StoreError>) in
            switch result {
            case .success(let done):
                var metadata: Logger.Metadata = ["record": "\(done.record.json())", "key": "\(done.key)",
                                                 "written": "\(done.written.joined(separator: ","))"]
                if !done.skipped.isEmpty { metadata["unchanged"] = "\(done.skipped.joined(separator: ","))" }
                if !done.failed.isEmpty { metadata["failed"] = "\(done.failed.joined(separator: ","))" }
                if !done.pending.isEmpty { metadata["still_writing"] = "\(done.pending.joined(separator: ","))" }
                if done.written.isEmpty { me.logger.debug("published (no store needed a write)", metadata: metadata) }
                else { me.logger.info("published", metadata: metadata) }
                me.handle(.published)
            case .failure(let error):
                me.handle(.publishFailed("\(error)"))
            }
        })
    }

    private func readRemote() {
        guard let keys = interface.keys else {
            handle(.remoteReadFailed("the interface's keys are unknown"))
            return
        }
        let before = records.remote
        let newestBefore = before?.timestamp
        // A read the store's notification or a repair asks for goes ahead of routine ones.
        let urgent = notified || machine.repair != nil
        notified = false
        records.read(keys: keys, urgent: urgent, completion: completion { (me: PeerRuntime, read: RecordExchange.Read) in
            switch read {
            case .failed(let why): me.handle(.remoteReadFailed(why))
            case .missing: me.handle(.remoteMissing(pollEvery: me.records.missingPollInterval))
            case .rejected(let why): me.handle(.remoteRejected(why))
            case .record(let record, _, let since):
                me.handle(me.remoteEvent(record, since: since, keys: keys, now: WallClock.now(),
                                         rewritten: before?.isRewritten(as: record) ?? false))
                if let ts = record.timestamp, let before = newestBefore, ts > before { me.partnerRepublished() }
            }
        })
    }

    /// The event for the peer's accepted record: its endpoint for our `protocol` with what
    /// WireGuard says now, or `.remoteRejected` when it has none.
    private func remoteEvent(_ record: EndpointRecord, since: Double, keys: InterfaceKeys, now: Double,
                             rewritten: Bool) -> PeerStateMachine.Event {
        let mark = interface.lastDevice?.fwmark ?? 0
        let endpoint: Endpoint
        switch EndpointChoice.choose(from: record, protocol: settings.protocol, routable: { Sys.hasRoute(to: $0, mark: mark) }) {
        case .success(let chosen): endpoint = chosen
        case .failure(let refusal): return .remoteRejected("\(refusal)")
        }
        noteDirectPath(peerRecord: record, using: endpoint)
        let wireGuard = interface.device(maxAge: 1)?.peer(peerKey.hex)
        let context = RemoteContext(recordSince: since, wireGuardEndpoint: wireGuard?.endpoint,
                                    lastHandshake: wireGuard?.lastHandshake ?? 0, now: now,
                                    weInitiate: keys.publicKey.bytes.lexicographicallyPrecedes(peerKey.bytes),
                                    partnerStamps: record.timestamp != nil, partnerRewrote: rewritten)
        return .remoteEndpoint(endpoint, context)
    }

    /// Writes the endpoint; a kick writes keepalive 0 first, then `keepalive`, so WireGuard
    /// sends at once (the 0 → N transition) instead of at its next timer.
    private func setEndpoint(_ endpoint: Endpoint, keepalive: Int, kick: Bool) {
        // A new endpoint for the peer: another path, other NATs' lifetimes.
        if let previous = learnedFor, previous != endpoint { relearnKeepalive() }
        learnedFor = endpoint
        do {
            try interface.backend.setPeer(publicKeyHex: peerKey.hex, endpoint: endpoint,
                                          persistentKeepalive: kick ? 0 : keepalive)
            if kick { try interface.backend.setKeepalive(publicKeyHex: peerKey.hex, persistentKeepalive: keepalive) }
            logger.info("endpoint set", metadata: ["endpoint": "\(endpoint)", "keepalive": "\(keepalive)",
                                                   "kick": "\(kick)"])
            handle(.configured)
        } catch {
            handle(.configureFailed("\(error)"))
        }
    }

    private func setKeepalive(_ keepalive: Int) {
        do {
            try interface.backend.setKeepalive(publicKeyHex: peerKey.hex, persistentKeepalive: keepalive)
            logger.info("keepalive set", metadata: ["keepalive": "\(keepalive)"])
        } catch {
            logger.warning("setting the keepalive failed: \(error)")
        }
    }

    // MARK: First contact

    /// Starts opening the path to `endpoint` (the machine's `open`): listen for the partner's
    /// punches, punch, and let `Opening` say when we initiate.
    private func open(_ endpoint: Endpoint) {
        endOpening()
        guard let device = interface.lastDevice, let keys = interface.keys,
              let tags = PunchAuthenticator(ownPrivate: keys.privateKey, peerPublic: peerKey) else {
            return handle(.initiate("no keys or device to open the path with"))
        }
        let listener: PunchListener
        do {
            listener = try interface.punches.register(endpoint, port: device.listenPort, fwmark: device.fwmark) {
                [weak self] heard in self?.openingHeard(heard)
            }
        } catch {
            logger.warning("cannot listen for the partner's punches (\(error)): initiating at once")
            return handle(.initiate("no raw socket to punch through"))
        }
        // A session within the last 180 s (our WireGuard re-created under a running tunnel): the
        // partner's daemon is not opening and will not punch.
        let now = WallClock.now()
        let hadSession = lastHandshakeSeen > 0 && now - lastHandshakeSeen < 180
        let rules = Opening(weInitiate: keys.publicKey.bytes.lexicographicallyPrecedes(peerKey.bytes), now: now,
                            hadSession: hadSession)
        opening = (rules, endpoint, listener, tags)
        logger.debug("opening the path", metadata: ["endpoint": "\(endpoint)", "role": rules.weInitiate ? "initiator" : "responder"])
        carryOutOpening(rules.startActions)
    }

    /// The partner wrote a newer record while our opening has not heard from it (a partner that
    /// was gone and came back, or restarted): the opening starts over, punching fast again — its
    /// punches may have slowed to every 5 minutes, and our NAT may have closed toward it.
    private func partnerRepublished() {
        guard let current = opening, current.rules.partnerSeenAt == nil, machine.keepaliveWithheld else { return }
        logger.info("the partner published again while we wait for it: opening the path anew")
        open(current.endpoint)
    }

    /// Stops the opening (a handshake, a new cycle, a stop).
    private func endOpening(because why: String? = nil) {
        guard let current = opening else { return }
        opening = nil
        openingTimer.stop()
        interface.punches.unregister(current.endpoint)
        if let why { logger.debug("opening over: \(why)") }
    }

    private func openingTick() {
        // The interval mode reads no counters: while an opening runs, its own ticks look for the
        // handshake that ends it (one device read per tick, 0.2 s apart at most).
        if !countersPolled, let state = interface.device(maxAge: 0.1)?.peer(peerKey.hex) { noteHandshake(state) }
        guard var current = opening else { return }
        let actions = current.rules.tick(now: WallClock.now())
        opening = current
        carryOutOpening(actions)
    }

    /// What the listener heard from the partner's endpoint. A punch whose tag does not verify is
    /// ignored (logged at debug: anyone can send to our port).
    private func openingHeard(_ heard: PunchListener.Heard) {
        guard var current = opening else { return }
        let now = WallClock.now()
        switch heard {
        case .initiation:
            logger.debug("handshake initiation from the partner arrived")
            current.rules.heardInitiation(now: now)
            opening = current
            scheduleOpening()
        case .punch(let punch):
            let signed = PunchMessage.signedBytes(transactionID: punch.transactionID, seen: punch.seen)
            guard current.tags.verify(received: signed, tag: punch.tag) else {
                return logger.debug("ignored a punch that is not the partner's", metadata: ["from": "\(current.endpoint)"])
            }
            if current.rules.partnerSeenAt == nil {
                logger.debug("the partner's punch arrived", metadata: ["seen": "\(punch.seen)"])
            }
            let actions = current.rules.heardPunch(seen: punch.seen, now: now)
            opening = current
            carryOutOpening(actions)
        }
    }

    private func carryOutOpening(_ actions: [Opening.Action]) {
        for action in actions {
            guard let current = opening else { return }
            switch action {
            case .punch(let seen):
                let id = StunTransactionID()
                let tag = current.tags.tag(sending: PunchMessage.signedBytes(transactionID: id, seen: seen))
                do {
                    try current.listener.send(PunchMessage(transactionID: id, seen: seen, tag: tag).bytes, to: current.endpoint)
                } catch {
                    logger.debug("punch to \(current.endpoint) failed: \(error)")
                }
            case .initiate(let reason):
                handle(.initiate("\(reason)"))
            }
        }
        scheduleOpening()
    }

    private func scheduleOpening() {
        guard let wake = opening?.rules.nextWake else { return openingTimer.stop() }
        openingTimer.start(after: max(0.001, wake - WallClock.now()))
    }

    /// One datagram from WireGuard's port to the peer, opening our NAT for its handshake. A
    /// failure is only logged: the peer's own traffic or the next repair will get through.
    private func punch(_ endpoint: Endpoint) {
        guard let device = interface.lastDevice else { return }
        do {
            try HolePunch.send(fromPort: device.listenPort, fwmark: device.fwmark, to: endpoint)
            logger.debug("punched", metadata: ["endpoint": "\(endpoint)"])
        } catch {
            logger.warning("punch to \(endpoint) failed: \(error)")
        }
    }
}
