import SystemCalls

/// The decisions for one WireGuard peer, as a value type: an `Event` goes in, `Action`s come
/// out, and nothing else happens. The daemon performs the actions (STUN, store calls, WireGuard
/// writes, punches, timers) and feeds their results back as events. So every transition is
/// testable without sockets or time, and docs/state-machine.md describes exactly this type.
public struct PeerStateMachine: Sendable {
    /// Where the peer is in discover → publish → await remote → configure → monitor.
    public enum State: Equatable, Sendable {
        /// Not started yet.
        case idle
        /// A STUN Binding request from WireGuard's port is in flight.
        case discovering
        /// Our encrypted record is being written to the store.
        case publishing
        /// The peer's record is being read from the store.
        case awaitingRemote
        /// This endpoint of the peer is being written to WireGuard.
        case configuring(Endpoint)
        /// The endpoint is set and the path is believed good; the refresh timer is armed.
        case monitoring
        /// Waiting on the retry timer to start `step` (after a failure, or between polls of
        /// the peer's record during a repair).
        case waitingToRetry(Step)
        /// Stopped for good; every later event is ignored.
        case stopped
    }

    /// A step that can be retried.
    public enum Step: Equatable, Sendable {
        /// STUN discovery.
        case discover
        /// Writing our record.
        case publish
        /// Reading the peer's record.
        case readRemote
        /// Setting the endpoint in WireGuard (retried by re-reading the record).
        case configure
    }

    /// What happened, as reported by the daemon.
    public enum Event: Equatable, Sendable {
        /// The daemon starts managing this peer.
        case start
        /// STUN reported our public mapping for WireGuard's port, in every family the interface
        /// publishes that answered (at least one).
        case discovered(PublicEndpoints)
        /// No STUN server answered (or WireGuard could not be read); the reason is for the log.
        case discoveryFailed(String)
        /// Our record is in the store.
        case published
        /// The store refused or failed the write.
        case publishFailed(String)
        /// The peer's record was read, authenticated and decrypted; this is its endpoint, with
        /// what WireGuard says about the peer right now.
        case remoteEndpoint(Endpoint, RemoteContext)
        /// The store has no record for the peer yet; read again at the latest after `pollEvery`
        /// seconds (the stores' read budget shared by the peers waiting on them:
        /// `StoreReadPacer.missingPollInterval`), so a partner that starts later is seen within
        /// that, however long it has been missing.
        case remoteMissing(pollEvery: Double)
        /// A record was there but was corrupt, forged, or unusable; it is ignored.
        case remoteRejected(String)
        /// The store could not be read.
        case remoteReadFailed(String)
        /// A store that notifies changes (the file store's inotify) says the peer's record may
        /// have changed: read it now instead of at the next poll or refresh.
        case remoteChanged
        /// WireGuard accepted the endpoint.
        case configured
        /// WireGuard refused or could not be reached.
        case configureFailed(String)
        /// A probe says the path is broken (sent once per failure episode).
        case pathFailed(PathSignal)
        /// The probes that had failed see the path working again.
        case pathRecovered
        /// WireGuard completed a handshake with the peer (its last-handshake time moved on).
        case handshakeCompleted
        /// The WireGuard device was re-created (or its listen port changed): whatever we wrote to
        /// it is gone, so the endpoint must be written again even if the record did not change.
        case deviceReset(String)
        /// The opening (`Opening`, first contact) decided that we initiate the handshake now; the
        /// reason is for the log.
        case initiate(String)
        /// A timer armed by `armTimer` fired.
        case timerFired(Timer)
        /// The daemon is shutting down.
        case stop
    }

    /// The two timers a peer owns.
    public enum Timer: Equatable, Sendable {
        /// Backoff before retrying a failed step, or the next poll of the peer's record.
        case retry
        /// The long fallback interval after which everything is refreshed.
        case refresh
    }

    /// What the daemon must do.
    public enum Action: Equatable, Sendable {
        /// Read WireGuard's listen port and fwmark, then STUN from that port.
        case discover
        /// Seal a record holding `mapping` (one endpoint per family) for the peer and write it
        /// to the store.
        case publish(mapping: PublicEndpoints)
        /// Read, authenticate and decrypt the peer's record.
        case readRemote
        /// Write our unchanged record again with a newer `ts` to the stores that notify a
        /// watching partner (the file store): a repair's word to the partner that we cannot
        /// reach it, so that a partner whose own NAT re-mapped it while idle checks its mapping
        /// now (its `remoteChanged`) instead of at its next refresh.
        case knock
        /// Send one UDP datagram from WireGuard's port to `endpoint`, opening our NAT for the
        /// peer's handshake without starting one ourselves (a session exists: nothing else is
        /// needed).
        case punch(Endpoint)
        /// First contact (no session): open the path to `endpoint` with an `Opening` — punches
        /// both ways, and the handshake initiated by one side once the path is open; its decision
        /// to initiate comes back as `initiate`.
        case open(Endpoint)
        /// The opening is over or moot (a handshake, a new cycle, a stop): stop punching.
        case endOpening
        /// Set the peer's endpoint and persistent keepalive in WireGuard, nothing else. With
        /// `kick`, keepalive goes 0 → `keepalive` so WireGuard sends at once.
        case setEndpoint(Endpoint, keepalive: Int, kick: Bool)
        /// Set only the persistent keepalive (given back after a withheld one).
        case setKeepalive(Int)
        /// (Re)arm a timer to fire after `seconds`.
        case armTimer(Timer, seconds: Double)
        /// Disarm a timer.
        case cancelTimer(Timer)
        /// Tell the operator something (the daemon adds the peer's name). Values that differ from
        /// peer to peer go in `metadata`, so that the same message from many peers can be
        /// summarised (`LogDigest`).
        case log(LogLevel, String, metadata: [String: String] = [:])
    }

    /// Severity of a `log` action.
    public enum LogLevel: Equatable, Sendable {
        /// Routine progress.
        case info
        /// Something failed and will be retried, or input was ignored.
        case warning
    }

    /// The fixed settings of one peer's machine.
    public struct Settings: Equatable, Sendable {
        /// The fallback refresh interval in seconds (config `refresh_interval`).
        public var refreshInterval: Double
        /// The peer's persistent keepalive in seconds (0: none).
        public var keepalive: Int
        /// First retry delay after a failure, doubling per consecutive failure.
        public var retryBase: Double
        /// Longest retry delay.
        public var retryCap: Double
        /// First delay between polls of the peer's record during a repair, doubling.
        public var pollBase: Double
        /// Longest delay between polls.
        public var pollCap: Double
        /// Relative jitter applied to every delay (0.2 = ±20 %).
        public var jitter: Double
        /// Delay between the first polls of a repair when the partner's records carry no `ts` (a
        /// stunmesh-go peer): it republishes on its own clock — at its ping failure and at three
        /// retries 2 s apart (`ping_monitor.fixed_retries`), then 5, 10, 15 s… later — so a
        /// doubling backoff would read its new record late. Reads still go through the store's
        /// pacer, which may hold them longer.
        public var unstampedPoll: Double = 1
        /// How many polls go at `unstampedPoll` before the doubling backoff takes over (from 2 s).
        public var unstampedFastPolls = 8

        /// Settings with the daemon's defaults for the timing.
        public init(refreshInterval: Double, keepalive: Int = 25,
                    retryBase: Double = 1, retryCap: Double = 60, pollBase: Double = 0.25, pollCap: Double = 30,
                    jitter: Double = 0.2) {
            self.refreshInterval = refreshInterval
            self.keepalive = keepalive
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.pollBase = pollBase
            self.pollCap = pollCap
            self.jitter = jitter
        }
    }

    /// A repair in progress: a probe said the path is broken, and the cycle runs until the
    /// record changes or the path recovers.
    public struct Repair: Equatable, Sendable {
        /// The signal that started the repair (the newest, when several joined it).
        public var signal: PathSignal
        /// Polls of the peer's record made so far (drives the poll backoff).
        public var polls = 0
        /// Whether the unchanged endpoint was already written again once in this repair.
        public var reasserted = false
        /// Whether the partner was told through the store once in this repair (`knock`).
        public var knocked = false

        /// A repair started by `signal`.
        public init(signal: PathSignal) { self.signal = signal }
    }

    /// The settings.
    public let settings: Settings
    /// The current state.
    public private(set) var state: State = .idle
    /// Our public mapping from the last successful discovery.
    public private(set) var mapping: PublicEndpoints?
    /// The mapping our last successful publish carried.
    public private(set) var publishedMapping: PublicEndpoints?
    /// The endpoint we last wrote to WireGuard.
    public private(set) var configuredEndpoint: Endpoint?
    /// True when a mapping of ours other than the one before was published since we last wrote
    /// the peer's endpoint: our NAT's new mapping drops the partner's packets until we send to
    /// the partner from it, so an unchanged endpoint is written again (punch, kick).
    public private(set) var movedSinceConfigured = false
    /// Consecutive failures of the current step (drives the retry backoff).
    public private(set) var consecutiveFailures = 0
    /// The repair in progress; nil when the path is believed good.
    public private(set) var repair: Repair?
    /// True while, at first contact, we hold keepalive at 0 so as not to start a handshake before
    /// the opening says the path is open.
    public private(set) var keepaliveWithheld = false
    /// Whether the partner's last record carried a `ts` (false: a stunmesh-go peer; the repair's
    /// polls then follow its republish clock, `Settings.unstampedPoll`).
    public private(set) var partnerStamps = true
    private var random: Jitter

    /// The signal that started the repair in progress; nil when the path is believed good.
    public var repairing: PathSignal? { repair?.signal }

    /// A machine in `.idle`; `seed` makes its jitter reproducible.
    public init(settings: Settings, seed: UInt64 = 1) {
        self.settings = settings
        self.random = Jitter(seed: seed)
    }

    /// Feeds one event in and returns what to do. Every (state, event) pair is decided below:
    /// the outer switch names every event and each handler names every state, so a new event or
    /// state does not compile until each pair is handled or ignored on purpose. A pair that is
    /// ignored (a late completion after `stop`, a duplicate timer) returns no action and changes
    /// nothing. docs/state-machine.md's transition table is checked against this function by
    /// `StateMachineDocTests`.
    public mutating func handle(_ event: Event) -> [Action] {
        if state == .stopped { return [] }
        switch event {
        case .start: return start()
        case .stop: return stop()
        case .discovered(let endpoints): return discovered(endpoints)
        case .discoveryFailed(let reason): return failed(in: .discovering, .discover, "discovery failed: \(reason)")
        case .published: return published()
        case .publishFailed(let reason): return failed(in: .publishing, .publish, "publish failed: \(reason)")
        case .remoteEndpoint(let endpoint, let context): return remoteRead(endpoint, context)
        case .remoteMissing(let every): return missing(pollEvery: every)
        case .remoteRejected(let reason):
            return failed(in: .awaitingRemote, .readRemote, "ignored the peer's record: \(reason)")
        case .remoteReadFailed(let reason):
            return failed(in: .awaitingRemote, .readRemote, "reading the peer's record failed: \(reason)")
        case .remoteChanged: return remoteChanged()
        case .configured: return configured()
        case .configureFailed(let reason): return configureFailed(reason)
        case .pathFailed(let signal): return pathFailed(signal)
        case .pathRecovered: return pathRecovered()
        case .handshakeCompleted: return restoreKeepalive()
        case .deviceReset(let what): return deviceReset(what)
        case .timerFired(.retry): return retryElapsed()
        case .timerFired(.refresh): return refreshElapsed()
        case .initiate(let why): return initiate(why)
        }
    }

    // MARK: - Events, each deciding for every state

    private mutating func start() -> [Action] {
        switch state {
        case .idle: return enter(.discover)
        case .discovering, .publishing, .awaitingRemote, .configuring, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    private mutating func stop() -> [Action] {
        state = .stopped
        return [.cancelTimer(.retry), .cancelTimer(.refresh), .endOpening]
    }

    private mutating func discovered(_ endpoints: PublicEndpoints) -> [Action] {
        switch state {
        case .discovering:
            mapping = endpoints
            consecutiveFailures = 0
            if repair != nil && endpoints == publishedMapping {
                // Polling during a repair: our side has not moved, the store already says so.
                return enter(.readRemote)
            }
            return enter(.publish)
        case .idle, .publishing, .awaitingRemote, .configuring, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    private mutating func published() -> [Action] {
        switch state {
        case .publishing:
            if let before = publishedMapping, before != mapping { movedSinceConfigured = true }
            publishedMapping = mapping
            consecutiveFailures = 0
            return enter(.readRemote)
        case .idle, .discovering, .awaitingRemote, .configuring, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    private mutating func remoteRead(_ endpoint: Endpoint, _ context: RemoteContext) -> [Action] {
        switch state {
        case .awaitingRemote:
            consecutiveFailures = 0
            partnerStamps = context.partnerStamps
            return remoteEndpoint(endpoint, context)
        case .idle, .discovering, .publishing, .configuring, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    /// The peer's record changed in a store that says so. From `monitoring` the whole cycle runs
    /// now: the partner moving is a sign that the network changed, perhaps ours too (both NATs
    /// re-mapped, and our side idle, so nothing of ours noticed) — discover (one shared STUN
    /// exchange), republish only if we moved, then read. A wait that would end in a read (a
    /// missing record, a failed write of the endpoint) or in the cycle (a repair's poll) is cut
    /// short. Elsewhere the cycle under way ends in a read anyway (a read in flight may miss the
    /// change; the next poll or refresh sees it), and a failed discovery or publish is retried as
    /// it was.
    private mutating func remoteChanged() -> [Action] {
        switch state {
        case .monitoring:
            return [.log(.info, "the peer's record changed: checking our mapping and reading it"), .cancelTimer(.refresh)]
                + enter(.discover)
        case .waitingToRetry(.readRemote), .waitingToRetry(.configure):
            consecutiveFailures = 0
            return [.log(.info, "the peer's record changed: reading it"), .cancelTimer(.retry)] + enter(.readRemote)
        case .waitingToRetry(.discover) where repair != nil:
            return [.log(.info, "the peer's record changed: checking our mapping and reading it"), .cancelTimer(.retry)]
                + enter(.discover)
        case .idle, .discovering, .publishing, .awaitingRemote, .configuring, .waitingToRetry, .stopped:
            return []
        }
    }

    private mutating func configured() -> [Action] {
        switch state {
        case .configuring(let endpoint):
            configuredEndpoint = endpoint
            consecutiveFailures = 0
            return repair == nil ? enterMonitoring() : pollAgain()
        case .idle, .discovering, .publishing, .awaitingRemote, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    private mutating func configureFailed(_ reason: String) -> [Action] {
        switch state {
        case .configuring: return fail(.configure, reason: "setting the endpoint failed: \(reason)")
        case .idle, .discovering, .publishing, .awaitingRemote, .monitoring, .waitingToRetry, .stopped:
            return []
        }
    }

    /// A step's failure, when the machine is in the state that step runs in (`discovering`,
    /// `publishing` or `awaitingRemote`); in any other state it is a late answer and ignored.
    private mutating func failed(in running: State, _ step: Step, _ reason: String) -> [Action] {
        state == running ? fail(step, reason: reason) : []
    }

    /// The partner has not published yet: read again on the retry backoff while that is shorter
    /// than the stores' cadence for missing records, then at that cadence (never an unbounded
    /// backoff: a partner that starts an hour later is seen as soon as one that starts a minute
    /// later). Logged at the first miss only.
    private mutating func missing(pollEvery: Double) -> [Action] {
        guard state == .awaitingRemote else { return [] }
        consecutiveFailures += 1
        state = .waitingToRetry(.readRemote)
        // The backoff grows up to the cadence (not only to `retryCap`: with a cadence beyond it,
        // a capped backoff would read every 60 s for ever). A cadence of a minute or more means a
        // store that says when the record appears, or many peers sharing its budget: then the
        // cadence holds from the first miss — a thousand peers' quick re-reads (1, 2, 4 … s) would
        // take the store's whole budget for many minutes.
        let backoff = pollEvery >= Self.cadenceWithoutRamp ? .infinity
            : delay(base: settings.retryBase, cap: max(settings.retryCap, pollEvery), attempt: consecutiveFailures)
        let delay = min(backoff, settings.jitter > 0 ? random.spread(pollEvery, by: settings.jitter) : pollEvery)
        let log: [Action] = consecutiveFailures == 1
            ? [.log(.info, "no record from the peer yet; reading it again at the stores' pace",
                    metadata: ["read_every": DurationText.span(pollEvery)])] : []
        return log + [.armTimer(.retry, seconds: delay)]
    }

    /// See `missing(pollEvery:)`.
    public static let cadenceWithoutRamp = 60.0

    private mutating func retryElapsed() -> [Action] {
        switch state {
        case .waitingToRetry(let step): return enter(step)
        case .idle, .discovering, .publishing, .awaitingRemote, .configuring, .monitoring, .stopped: return []
        }
    }

    private mutating func refreshElapsed() -> [Action] {
        switch state {
        case .monitoring: return [.log(.info, "refresh interval elapsed")] + enter(.discover)
        case .idle, .discovering, .publishing, .awaitingRemote, .configuring, .waitingToRetry, .stopped: return []
        }
    }

    // MARK: - Repair

    /// A probe says the path is broken (a repair starts, or goes on with the newer signal), or —
    /// for a network change or an operator's request — our mapping may have moved (the cycle runs
    /// now without declaring the path broken: the probes say whether it is). Either way, from
    /// `monitoring` or `waitingToRetry` (backoff reset) the cycle starts at once; while a step is
    /// in flight, the cycle it belongs to goes on and ends in a re-read.
    private mutating func pathFailed(_ signal: PathSignal) -> [Action] {
        let probe: Bool
        switch signal {
        case .unanswered, .rxStall, .handshakeStale:
            probe = true
            if repair == nil { repair = Repair(signal: signal) } else { repair?.signal = signal }
        case .network, .manual:
            probe = false
        }
        let level: LogLevel = probe ? .warning : .info
        let what = probe ? "path failed (\(signal))" : "\(signal)"
        switch state {
        case .monitoring:
            return [.log(level, "\(what): re-discovering now"), .cancelTimer(.refresh)] + enter(.discover)
        case .waitingToRetry:
            // Whatever we were waiting for, start over at once: something has changed.
            consecutiveFailures = 0
            return [.log(level, "\(what): re-discovering now"), .cancelTimer(.retry)] + enter(.discover)
        case .idle, .discovering, .publishing, .awaitingRemote, .configuring:
            return probe ? [.log(.warning, "\(what) while \(state)")] : []
        case .stopped:
            return []
        }
    }

    /// The WireGuard device was re-created: the endpoint we wrote and a withheld keepalive are
    /// gone with it; the cycle runs as for a network change, so even an unchanged record is
    /// written again.
    private mutating func deviceReset(_ what: String) -> [Action] {
        configuredEndpoint = nil
        keepaliveWithheld = false
        return [.endOpening] + pathFailed(.network(what))
    }

    /// The keepalive withheld at first contact is given back once a handshake proves the path.
    private mutating func restoreKeepalive() -> [Action] {
        guard keepaliveWithheld else { return [] }
        keepaliveWithheld = false
        return [.endOpening, .setKeepalive(settings.keepalive)]
    }

    /// The opening decided we initiate (the path is open, or the initiator's limit was spent, or
    /// the partner never punches): the withheld keepalive goes 0 → N, which makes WireGuard send
    /// at once (an initiation, since there is no session). The opening goes on (its punches and
    /// answers) until a handshake ends it.
    private mutating func initiate(_ why: String) -> [Action] {
        guard keepaliveWithheld else { return [] }
        keepaliveWithheld = false
        return [.log(.info, "initiating the handshake: \(why)"), .setKeepalive(settings.keepalive)]
    }

    /// The path works again: the repair ends, a withheld keepalive is given back, and a machine
    /// waiting to retry with an endpoint configured goes back to monitoring.
    private mutating func pathRecovered() -> [Action] {
        guard repair != nil || keepaliveWithheld else { return [] }
        repair = nil
        var actions: [Action] = [.log(.info, "path recovered")]
        if keepaliveWithheld {
            keepaliveWithheld = false
            actions += [.endOpening, .setKeepalive(settings.keepalive)]
        }
        if case .waitingToRetry = state, configuredEndpoint != nil {
            actions += enterMonitoring()
        }
        return actions
    }

    private mutating func remoteEndpoint(_ endpoint: Endpoint, _ context: RemoteContext) -> [Action] {
        if endpoint == configuredEndpoint {
            if movedSinceConfigured {
                // Our mapping moved (a refresh, a network change, the idle mapping check, the
                // partner's knock, a repair's poll): our NAT drops the partner's packets to the
                // new mapping until we send to the partner from it, and the partner's NAT drops
                // ours until it sends to it — each side sends once it knows. In a repair this is
                // its re-assert.
                repair?.reasserted = true
                state = .configuring(endpoint)
                return [.log(.info, "our mapping moved: sending toward \(endpoint) from the new one")] + configure(endpoint, context)
            }
            guard let current = repair else {
                guard context.partnerRewrote else {
                    return [.log(.info, "remote endpoint unchanged \(endpoint)")] + enterMonitoring()
                }
                // The peer knocked: it cannot reach us, though neither side moved — our NAT's
                // entry for it expired (its keepalive test outlasted our NAT, or a long idle). A
                // punch from WireGuard's port re-makes the entry. Nothing else: WireGuard's
                // endpoint and keepalive stay as they are (rewriting the keepalive would end the
                // partner's keepalive learning, and a WireGuard packet of ours would count there
                // as a keepalive sent early).
                return [.log(.info, "the peer wrote its record again without moving: punching toward it"), .punch(endpoint)]
                    + enterMonitoring()
            }
            // Repairing and the peer has not moved (yet): once per repair, send toward it now;
            // then keep polling (re-discover, re-read) until something moves or the path recovers.
            // If the path is still dead at the next poll, neither side has moved as far as we can
            // see: the partner may have been re-mapped while idle, which only its own STUN finds
            // (our packets go to its old port; its keepalives, from the new one, are dropped by our
            // NAT). Once per repair we tell it through the store (`knock`).
            if current.reasserted {
                guard !current.knocked else { return pollAgain() }
                repair?.knocked = true
                return [.log(.info, "the peer's record is unchanged and the path still fails: telling the peer through the store"),
                        .knock] + pollAgain()
            }
            repair?.reasserted = true
            state = .configuring(endpoint)
            return [.log(.info, "re-asserting endpoint \(endpoint)")] + configure(endpoint, context)
        }
        if repair == nil, let current = context.wireGuardEndpoint, current != endpoint,
           context.lastHandshake > context.recordSince {
            // WireGuard roamed to `current` after this record was written, and a handshake
            // proved it: the record is older news. Overwriting it would cost a handshake.
            configuredEndpoint = current
            return [.log(.info, "kept endpoint \(current) proven by a handshake newer than the record (\(endpoint))")]
                + enterMonitoring()
        }
        state = .configuring(endpoint)
        return [.log(.info, "remote endpoint \(endpoint)")] + configure(endpoint, context)
    }

    /// How to write `endpoint`. With a session (a handshake < 170 s ago) nothing we send starts
    /// a handshake: the initiator sets it and kicks (its keepalive moves the session there); the
    /// responder punches its NAT open toward the peer first. At first contact (no session) both
    /// sides hold keepalive at 0, so that WireGuard does not spend its one initiation per 5 s on
    /// a path that is not open yet, and open the path (`Opening`): it says when we initiate.
    private mutating func configure(_ endpoint: Endpoint, _ context: RemoteContext) -> [Action] {
        movedSinceConfigured = false
        let keepalive = settings.keepalive
        if context.sessionValid {
            return (context.weInitiate ? [] : [.punch(endpoint)])
                + [.setEndpoint(endpoint, keepalive: keepalive, kick: keepalive > 0)]
        }
        keepaliveWithheld = keepalive > 0
        return [.open(endpoint), .setEndpoint(endpoint, keepalive: 0, kick: false)]
    }

    /// Waits, then runs the cycle again (discover; publish only if we moved; read the record):
    /// doubling from `pollBase`, or for a partner without `ts` first `unstampedFastPolls` polls
    /// `unstampedPoll` apart and then doubling from 2 s.
    private mutating func pollAgain() -> [Action] {
        repair?.polls += 1
        state = .waitingToRetry(.discover)
        let polls = repair?.polls ?? 1
        let delay: Double
        if partnerStamps {
            delay = self.delay(base: settings.pollBase, cap: settings.pollCap, attempt: polls)
        } else if polls <= settings.unstampedFastPolls {
            delay = settings.jitter > 0 ? random.spread(settings.unstampedPoll, by: settings.jitter) : settings.unstampedPoll
        } else {
            delay = self.delay(base: settings.pollBase, cap: settings.pollCap, attempt: polls - settings.unstampedFastPolls + 3)
        }
        return [.armTimer(.retry, seconds: delay)]
    }

    // MARK: - Steps

    /// `base · 2^(attempt−1)`, at most `cap` and the refresh interval, with jitter.
    private mutating func delay(base: Double, cap: Double, attempt: Int) -> Double {
        var delay = base
        for _ in 1..<max(1, attempt) where delay < cap { delay *= 2 }
        delay = min(delay, cap, settings.refreshInterval)
        return settings.jitter > 0 ? random.spread(delay, by: settings.jitter) : delay
    }

    private mutating func enter(_ step: Step) -> [Action] {
        switch step {
        case .discover:
            state = .discovering
            return [.discover]
        case .publish:
            guard let mapping else { return enter(.discover) }
            state = .publishing
            return [.publish(mapping: mapping)]
        case .readRemote, .configure:
            // A failed configure retries the whole read: the record may have changed meanwhile.
            state = .awaitingRemote
            return [.readRemote]
        }
    }

    private mutating func enterMonitoring() -> [Action] {
        state = .monitoring
        return [.cancelTimer(.retry), .armTimer(.refresh, seconds: settings.refreshInterval)]
    }

    private mutating func fail(_ step: Step, reason: String) -> [Action] {
        consecutiveFailures += 1
        state = .waitingToRetry(step)
        let delay = delay(base: settings.retryBase, cap: settings.retryCap, attempt: consecutiveFailures)
        return [.log(.warning, "\(reason); retry in \(DurationText.span(delay))"), .armTimer(.retry, seconds: delay)]
    }
}
