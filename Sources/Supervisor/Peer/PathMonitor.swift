import Glibc

/// Judges the path to one peer from the facts the probes bring: WireGuard's counters and
/// handshake time, and probe (ICMP echo through the tunnel) results. Pure and clock-free (every
/// input carries its time), so the rules are tested without WireGuard. docs/path-judgement.md
/// gives the rules and their numbers.
///
/// A lost packet is a suspicion, not a failure. While we send and nothing comes back for longer
/// than the traffic the path has shown makes likely, the monitor asks for a short burst of probes
/// (`Verdict.confirm`), sized to the loss and round trip it has measured; only a burst that goes
/// wholly unanswered, with nothing received meanwhile, makes the path dead. So a path that loses a
/// share of its packets or got slower is not repaired, and a dead one is found within about
/// two expected gaps of inbound traffic plus one burst. Without probes (no target, or an
/// automatic target that never answered) only the slow rules hold: no rx for keepalive plus a
/// margin while sending (`rxStall`), a handshake older than 135 s while sending
/// (`handshakeStale`).
///
/// It reports a verdict only when the judgement changes: `failed` once at the start of a failure
/// episode, `recovered` once at its end — so a dead path does not flood the state machine.
public struct PathMonitor: Sendable {
    /// A change of judgement, or a request for evidence.
    public enum Verdict: Equatable, Sendable {
        /// The path broke; this evidence said so first.
        case failed(PathSignal)
        /// Every failing probe sees the path working again.
        case recovered
        /// Send these probes now: a suspicion to confirm or clear (or, with `count` 1 and no
        /// suspicion, a first probe to learn whether the automatic target answers at all).
        case confirm(ProbeBurst)
        /// The burst went wholly unanswered, but the path has been silent for less than
        /// `deadAfter`: it is dead at `until` (loop time) unless something comes in first — a path
        /// that got slower answers late. Meanwhile the runtime checks our own mapping by STUN: a
        /// mapping that moved is the cause found, and the repair starts at once.
        case silent(until: Double)
    }

    /// A burst of probes: `count` echo requests `spacing` seconds apart, each waited for
    /// `timeout` seconds.
    public struct ProbeBurst: Equatable, Sendable {
        /// How many probes.
        public var count: Int
        /// Seconds between two probes.
        public var spacing: Double
        /// Seconds each probe is waited for.
        public var timeout: Double

        /// A burst from its parts.
        public init(count: Int, spacing: Double, timeout: Double) {
            self.count = count
            self.spacing = spacing
            self.timeout = timeout
        }
    }

    /// One reading of WireGuard's view of the peer.
    public struct Sample: Equatable, Sendable {
        /// Wall-clock seconds of the reading.
        public var now: Double
        /// Bytes received from the peer.
        public var rxBytes: UInt64
        /// Bytes sent to the peer.
        public var txBytes: UInt64
        /// Wall-clock seconds of the last handshake; 0 for never.
        public var lastHandshake: Double
        /// Our persistent keepalive in seconds (0: off).
        public var keepalive: Int
        /// Who keeps the idle flow open (docs/keepalive.md), which sets what our keepalives expect.
        public var keepaliveRole: KeepaliveRole

        /// A sample from its parts.
        public init(now: Double, rxBytes: UInt64, txBytes: UInt64, lastHandshake: Double, keepalive: Int,
                    keepaliveRole: KeepaliveRole = .both) {
            self.now = now
            self.rxBytes = rxBytes
            self.txBytes = txBytes
            self.lastHandshake = lastHandshake
            self.keepalive = keepalive
            self.keepaliveRole = keepaliveRole
        }
    }

    /// Who sends keepalives on an idle flow.
    public enum KeepaliveRole: Equatable, Sendable {
        /// Both sides (a fixed keepalive, or a partner that does not learn): ours expect the
        /// peer's within keepalive plus a margin.
        case both
        /// We lead a learned keepalive and the peer stays silent: our keepalives expect nothing
        /// back; only data counts as sending for the slow rules.
        case leading
        /// We follow: our keepalive fires only when the leader's packets are late, and the
        /// leader's next one may take up to its own interval (under ours) more: no rx for
        /// keepalive + the stall limit is a stall.
        case following
    }

    /// What the path has shown: round trip (RFC 6298's smoothed estimate and variation), how long
    /// the peer's traffic takes to answer ours, and the share of probes lost.
    public struct Estimates: Equatable, Sendable {
        /// Smoothed round trip of answered probes, seconds; nil before the first.
        public var srtt: Double?
        /// Its variation, seconds.
        public var rttvar = 0.0
        /// How long, once we send data with nothing received since, something comes in: smoothed,
        /// from the reading that first saw us send to the one that saw rx advance (or a probe's
        /// answer), seconds. Nil before the first such wait, and again after `rhythmMemory` without
        /// data either way: a new spell of traffic may be another application's.
        public var replyWait: Double?

        /// Counts one wait for the peer's traffic. A wait that a suspicion's burst ended counts as
        /// it was (the traffic's own wait is at least that): smoothed like the others, a one-way
        /// flow (the peer sends only its keepalives) raises the estimate by a quarter per burst
        /// and reaches the `deadAfter` cap within about eight. Taking such a wait as a floor
        /// (the estimate at least it) reached the cap in three, but on a lossy two-way path the
        /// bursts that losses start do the same, and the estimate then stayed at 2 s after the
        /// loss ended (test_path_judgement: a side no longer suspected its traffic).
        mutating func noteReplyWait(_ wait: Double) {
            replyWait = replyWait.map { 0.75 * $0 + 0.25 * wait } ?? wait
        }
        /// Probes lost on a path that was alive, and probes whose outcome is known, both decayed by
        /// `lossMemory` per outcome (so about the last 1 / (1 − `lossMemory`) probes count), starting
        /// from the prior: 1 lost of 20.
        public private(set) var lost = 1.0
        /// See `lost`.
        public private(set) var seen = 20.0

        /// The share of probes lost (0…1).
        public var loss: Double { lost / seen }

        /// A loss the path is unlikely to exceed: the upper end of the Wilson score interval
        /// (one-sided, z = 1.645, 95 %) around `loss` for `seen` outcomes. A burst is sized to
        /// this, not to the point estimate: with ~20 outcomes a 36 % loss path shows anything
        /// from 15 % to 55 %, and a burst sized to a low draw is lost whole too often.
        public var lossBound: Double {
            let z = 1.645, n = seen, p = loss
            let centre = p + z * z / (2 * n)
            let spread = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
            return min(1, (centre + spread) / (1 + z * z / n))
        }

        /// Counts one probe's outcome.
        mutating func note(lost isLost: Bool) {
            lost = PathMonitor.lossMemory * lost + (isLost ? 1 : 0)
            seen = PathMonitor.lossMemory * seen + 1
        }
    }

    // MARK: The numbers (docs/path-judgement.md)

    /// A handshake older than this while we send means the peer is gone (reresolve-dns.sh's
    /// rule; WireGuard rekeys every 120 s on a live path).
    public static let staleHandshake: Double = 135
    /// How long a WireGuard session stays usable after its handshake (REJECT_AFTER_TIME).
    public static let sessionLifetime: Double = 180
    /// Silence while sending is suspicious after this many expected waits for the peer's
    /// traffic (`Estimates.replyWait`)...
    public static let gapsToSuspect = 2.0
    /// ...which is forgotten after this long without data either way (then, knowing nothing of the
    /// traffic, a suspicion comes after a few round trips).
    public static let rhythmMemory = 60.0
    /// ...but never before this (poll granularity and scheduling noise)...
    public static let minimumSuspicion = 0.3
    /// ...and always after max(`deadFloor`, `deadRoundTrips` × srtt): a path that passes nothing
    /// that long while we send is dead unless a burst says otherwise.
    public static let deadFloor = 2.0
    /// See `deadFloor`.
    public static let deadRoundTrips = 4.0
    /// A burst is sized so that a path alive at the measured loss (its upper bound,
    /// `Estimates.lossBound`) loses all of it with at most this probability.
    public static let falseVerdict = 0.001
    /// Probes in a burst: at least, at most (36 % round-trip loss, 20 % each way: 10 probes, all
    /// lost with probability 4·10⁻⁵).
    public static let burstRange = 2...10
    /// Waits longer than this are idle time, not the rhythm of the traffic.
    public static let longestGap = 10.0
    /// The decay of the loss tally per probe outcome (about the last 20 probes count).
    public static let lossMemory = 0.95
    /// The shortest time a probe is waited for, however fast the path (scheduling noise on both
    /// hosts, and the far side's own load).
    public static let shortestProbeWait = 0.15
    /// Seconds after the last counter movement that a peer still counts as active.
    public static let activeWindow = 3.0

    /// Whether periodic pings are configured (`ping_monitor` or the peer's `ping` in the file):
    /// their target is trusted to answer, so a lost one is a suspicion even before any answer.
    public let pingIsExplicit: Bool
    /// What the path has shown.
    public private(set) var estimates = Estimates()

    private var last: Sample?
    private var lastRxAt: Double?
    private var lastMovementAt: Double?
    private var txAtLastRx: UInt64 = 0
    /// Whether data (not only WireGuard's control messages) went out since the last rx.
    private var dataSinceRx = false
    /// When we were first seen sending after the last rx (nil: nothing sent since).
    private var sendingSince: Double?
    private var pingAnswered = false
    private var newestAnswered = 0
    private var confirming: (first: Int, count: Int, lost: Int)?
    /// After a wholly unanswered burst, the time the path is dead unless something comes in.
    private var silentUntil: Double?
    /// Probes from this serial on whose outcome is still to be counted in the loss tally (those
    /// of a burst that found the path dead are not: a dead path's silence is not loss).
    private var tallyFrom = 0
    private var unanswered = false
    private var rxStalled = false
    private var handshakeStale = false
    private var learnProbes = 0
    /// An explicit target's learning probe is out: its loss is no evidence (the target may drop
    /// ICMP while the path is fine), unlike a probe a suspicion sent.
    private var learningProbeOut = false
    private var nextLearnProbe: Double?
    /// No new suspicion before this (after a burst that could not be sent).
    private var quietUntil = -Double.infinity
    /// No judgement at all before this (the keepalive learner's tests: `quiet(until:)`).
    private var testQuietUntil = -Double.infinity

    /// A monitor that has seen nothing yet.
    public init(pingIsExplicit: Bool) {
        self.pingIsExplicit = pingIsExplicit
    }

    /// Whether some probe currently says the path is broken.
    public var isFailing: Bool { unanswered || rxStalled || handshakeStale }

    /// Whether a burst is out and undecided, or its silence is waited out (`silent`).
    public var isConfirming: Bool { confirming != nil || silentUntil != nil }

    /// Seconds of silence while sending after which the path is dead: max(`deadFloor`,
    /// `deadRoundTrips` × srtt). A wholly unanswered burst before that says `silent`, not dead.
    public var deadAfter: Double { max(Self.deadFloor, Self.deadRoundTrips * (estimates.srtt ?? 0)) }

    /// Whether probes can say anything: an explicit target, or an automatic one that answered.
    public var probesWork: Bool { pingIsExplicit || pingAnswered }

    /// Whether data (not only keepalives or handshakes) moved within `activeWindow` of `now` (the
    /// daemon then reads WireGuard more often, to judge traffic from traffic).
    public func isActive(now: Double) -> Bool {
        guard let lastMovementAt else { return false }
        return now - lastMovementAt <= Self.activeWindow
    }

    /// Whether a probe may go into the tunnel at `now`: only with an endpoint we configured, that
    /// WireGuard still has, and while the last reading shows a session (a handshake less than
    /// `sessionLifetime` ago). Without them, a probe is data that makes WireGuard start a
    /// handshake itself: before the endpoint is set that attempt fails yet blocks the next
    /// initiation — the kick — for REKEY_TIMEOUT (5 s), and on the responder it is the very
    /// initiation the roles exist to avoid.
    /// `sessionRequired` false (the keepalive learner's test after a long silence): a handshake
    /// once is enough, since the path worked and WireGuard may start a new session for the probe.
    public func mayPing(now: Double, endpointConfigured: Bool = true, wireGuardHasEndpoint: Bool = true,
                        sessionRequired: Bool = true) -> Bool {
        guard endpointConfigured, wireGuardHasEndpoint, let last, last.lastHandshake > 0 else { return false }
        return !sessionRequired || now - last.lastHandshake < Self.sessionLifetime
    }

    /// The next burst's shape from the estimates: enough probes that an alive path at the
    /// measured loss answers none of them with probability at most `falseVerdict`; spaced about
    /// a round trip apart; each waited for RFC 6298's retransmission timeout (srtt + 4·rttvar),
    /// but at least two round trips (the suspicion already waited several).
    public var burst: ProbeBurst {
        let loss = min(max(estimates.lossBound, 0.01), 0.9)
        let wanted = Int((Glibc.log(Self.falseVerdict) / Glibc.log(loss)).rounded(.up))
        let count = min(max(wanted, Self.burstRange.lowerBound), Self.burstRange.upperBound)
        let srtt = estimates.srtt ?? 0.1
        let spacing = min(max(srtt, 0.02), 0.25)
        let timeout = estimates.srtt.map { min(max(2 * $0, $0 + 4 * estimates.rttvar, Self.shortestProbeWait), 3) } ?? 1
        return ProbeBurst(count: count, spacing: spacing, timeout: timeout)
    }

    /// Seconds of sending with nothing received after which the path is suspect: two expected
    /// waits for the peer's traffic (`gapsToSuspect`), but at least a few round trips and at most
    /// `deadAfter`. Knowing nothing of the traffic (no wait measured yet, or forgotten), after the
    /// round trips: a burst costs a few probes, and a one-way flow raises the estimate within eight or so
    /// bursts (`Estimates.noteReplyWait`). Before, an unknown rhythm waited `deadAfter` (2 s), and
    /// a rhythm taken from the gaps between inbound packets counted sparse packets before a fault:
    /// traffic that started at a re-mapping was suspected only ~1.9 s later.
    public var suspicionAfter: Double {
        let dead = deadAfter
        let expectedReply = max(Self.minimumSuspicion, 2 * (estimates.srtt ?? 0) + 4 * estimates.rttvar)
        let rhythm = estimates.replyWait.map { Self.gapsToSuspect * $0 } ?? expectedReply
        return max(expectedReply, min(rhythm, dead))
    }

    // MARK: Inputs

    /// Takes a WireGuard reading.
    public mutating func observe(_ sample: Sample) -> Verdict? {
        let wasFailing = isFailing
        defer { last = sample }
        guard let previous = last else {
            lastRxAt = sample.now
            txAtLastRx = sample.txBytes
            return nil
        }
        if let lastMovementAt, sample.now - lastMovementAt > Self.rhythmMemory { estimates.replyWait = nil }
        if sample.rxBytes != previous.rxBytes {
            received(at: sample.now)
            rxStalled = false
            txAtLastRx = sample.txBytes
        }
        // Active means data moved: keepalives and handshakes alone (an idle tunnel) do not make
        // the daemon read WireGuard ten times a second.
        let txDelta = sample.txBytes &- previous.txBytes, rxDelta = sample.rxBytes &- previous.rxBytes
        if (sample.txBytes > previous.txBytes && !Self.isControlOnly(txDelta))
            || (sample.rxBytes > previous.rxBytes && !Self.isControlOnly(rxDelta)) {
            lastMovementAt = sample.now
        }
        // Only data asks for an answer: our keepalives and handshake messages do not (the peer's
        // own keepalive timer answers them, up to a keepalive interval later), and neither does
        // data sent in a reading that also received (most likely a reply, such as our echo reply
        // to the peer's probe: counting it would make two idle daemons probe each other in turn).
        if sample.txBytes > previous.txBytes, sample.rxBytes == previous.rxBytes,
           !Self.isControlOnly(sample.txBytes - previous.txBytes), sendingSince == nil {
            sendingSince = sample.now
        }
        if sample.lastHandshake > previous.lastHandshake { handshakeStale = false }
        // Nothing to judge before the path has ever worked: set-up is the machine's business.
        guard sample.lastHandshake > 0, let since = lastRxAt else { return verdict(wasFailing: wasFailing, signal: .rxStall) }
        // While quiet (the keepalive learner's test probes are out, or a test found a NAT closed
        // that the peer's keepalive will re-open), what we send expects no answer: it is the
        // test's, and a failed test's silence is not a dead path.
        if sample.now < testQuietUntil {
            silentUntil = nil
            txAtLastRx = sample.txBytes
            dataSinceRx = false
            sendingSince = nil
            return verdict(wasFailing: wasFailing, signal: .rxStall)
        }
        if sample.txBytes > previous.txBytes, sample.rxBytes == previous.rxBytes, !Self.isControlOnly(txDelta) {
            dataSinceRx = true
        }
        let sending = sample.keepaliveRole == .leading ? dataSinceRx : sample.txBytes > txAtLastRx
        let stall = Self.stallLimit(keepalive: sample.keepalive)
            + (sample.keepaliveRole == .following ? Double(sample.keepalive) : 0)
        if sending && sample.keepalive > 0 && sample.now - since > stall {
            rxStalled = true
        }
        // WireGuard rekeys only when the keypair's initiator sends: on an idle flow kept by one
        // side's keepalives the handshake may be older than 135 s; only data makes that stale.
        // A handshake older than 135 s only matters while nothing comes in: a session that still
        // carries the peer's traffic is alive, and on a lossy link a rekey may need several of
        // WireGuard's 5 s retries (at 20 % loss each way a third of them fail) — that alone made
        // one loss-and-delay run in five start a repair.
        let sendingData = sample.keepaliveRole == .both ? sending : dataSinceRx
        if sendingData && sample.now - sample.lastHandshake > Self.staleHandshake && sample.now - since >= deadAfter {
            handshakeStale = true
        }
        // Leading, our keepalives still make WireGuard re-handshake within a session lifetime
        // plus one keepalive (the keypair's initiator rekeys after 120 s; otherwise the session
        // lapses at 180 s and the next keepalive starts one). Older while we keep sending: nothing
        // gets through — our NAT may have re-mapped us while idle, which only our own STUN can
        // find (the peer's packets to our old port are dropped).
        if sample.keepaliveRole == .leading, sample.txBytes > txAtLastRx,
           sample.now - sample.lastHandshake > Self.sessionLifetime + Double(sample.keepalive) + Self.leaderHandshakeMargin {
            handshakeStale = true
        }
        // A wholly unanswered burst's silence ran its course with nothing received: dead.
        if let until = silentUntil, sample.now >= until {
            silentUntil = nil
            unanswered = true
        }
        let signal: PathSignal = unanswered ? .unanswered : rxStalled ? .rxStall : .handshakeStale
        if let changed = verdict(wasFailing: wasFailing, signal: signal) { return changed }
        return suspicion(at: sample.now)
    }

    /// Takes a probe's result: `serial` numbers the probes in the order they were sent, `sentAt`
    /// is when it went out (nil: unknown), `rtt` the answer's round trip.
    public mutating func observeProbe(serial: Int, answered: Bool, rtt: Double? = nil, sentAt: Double? = nil,
                                      now: Double) -> Verdict? {
        let wasFailing = isFailing
        if answered {
            newestAnswered = max(newestAnswered, serial)
            pingAnswered = true
            learningProbeOut = false
            if let rtt, rtt.isFinite, rtt >= 0 { noteRoundTrip(rtt) }
            if serial >= tallyFrom { estimates.note(lost: false) }
            received(at: now)
            return verdict(wasFailing: wasFailing, signal: .unanswered)
        }
        // A probe that times out after a later one was answered says nothing about the path now
        // (but it was lost: it counts in the tally).
        guard serial > newestAnswered else {
            if serial >= tallyFrom, confirming == nil, !isFailing { estimates.note(lost: true) }
            return nil
        }
        if learningProbeOut, confirming == nil {
            learningProbeOut = false
            return nil
        }
        if var burst = confirming, serial >= burst.first {
            burst.lost += 1
            confirming = burst
            guard burst.lost >= burst.count else { return nil }
            // Every probe of the burst went unanswered and nothing came in meanwhile: dead once
            // the path has been silent for `deadAfter` (a path that got slower answers by then).
            confirming = nil
            tallyFrom = serial + 1
            let deadAt = (lastRxAt ?? now) + deadAfter
            guard now < deadAt else {
                unanswered = true
                return verdict(wasFailing: wasFailing, signal: .unanswered)
            }
            silentUntil = deadAt
            return .silent(until: deadAt)
        }
        guard serial >= tallyFrom, confirming == nil, !isFailing, probesWork else { return nil }
        estimates.note(lost: true)
        // A probe lost while something else came in since it was sent (a periodic ping, or one of
        // a burst that traffic already cleared): the path lost a packet, it is not dead. Lost with
        // nothing received: a suspicion, confirmed or cleared by a burst.
        if let sentAt, let lastRxAt, lastRxAt >= sentAt { return nil }
        return startBurst(nextSerial: serial + 1)
    }

    /// A probe answered after its wait had run out (`Pinger`'s late answer): the path got slower,
    /// not dead. Its round trip enters the estimate (so the next waits grow to fit), and it is
    /// traffic from the peer: a suspicion or an `unanswered` verdict it contradicts ends.
    public mutating func observeLateAnswer(rtt: Double, now: Double) -> Verdict? {
        let wasFailing = isFailing
        if rtt.isFinite, rtt >= 0 { noteRoundTrip(rtt) }
        received(at: now)
        return verdict(wasFailing: wasFailing, signal: .unanswered)
    }

    /// While `silent`, our own mapping was found moved (the runtime's STUN check): that is why
    /// nothing comes in — the peer's packets go to the old mapping. Dead now, not at the end of
    /// the silence. Nil when not silent.
    public mutating func mappingMoved() -> Verdict? {
        guard silentUntil != nil else { return nil }
        let wasFailing = isFailing
        silentUntil = nil
        unanswered = true
        return verdict(wasFailing: wasFailing, signal: .unanswered)
    }

    /// The runtime sends a burst whose probes will carry serials from `firstSerial` on.
    public mutating func burstSent(firstSerial: Int, count: Int) {
        if confirming != nil { confirming = (firstSerial, count, 0) }
    }

    /// The burst could not go out (no target, no session): it decides nothing, and the next
    /// suspicion waits `abandonedQuiet` seconds; the rx rules still judge meanwhile.
    public mutating func burstAbandoned(now: Double) {
        confirming = nil
        quietUntil = now + Self.abandonedQuiet
    }

    /// See `burstAbandoned`.
    public static let abandonedQuiet = 5.0
    /// Leading a keepalive: a handshake older than the session lifetime plus a keepalive plus this
    /// while keepalives go out is stale (REKEY_TIMEOUT 5 s and a retry).
    public static let leaderHandshakeMargin = 15.0

    /// No judgement before `until`: the keepalive learner's test probes are going out (their
    /// answers are the learner's), or a test found a NAT closed and the peer's keepalive will
    /// re-open it (docs/keepalive.md). What is sent meanwhile expects no answer.
    public mutating func quiet(until: Double) {
        quietUntil = max(quietUntil, until)
        testQuietUntil = max(testQuietUntil, until)
    }

    /// Whether a repair that no failing probe holds open (a manual or network trigger on a path
    /// that works), or a keepalive withheld as responder, ends now: WireGuard received data
    /// after the endpoint was written, so the path is proven and polling the store stops.
    public static func endsOnTraffic(repairing: Bool, keepaliveWithheld: Bool, failing: Bool,
                                     trafficAfterWrite: Bool) -> Bool {
        (repairing || keepaliveWithheld) && !failing && trafficAfterWrite
    }

    /// WireGuard's messages that carry no data, by their size on the wire as the counters count
    /// them: a keepalive (32 bytes: header and tag, no payload), a handshake initiation (148), a
    /// response (92), a cookie reply (64), and a keepalive with an initiation or a response in the
    /// same reading. A data packet is at least 48 bytes and padded to 16; one that happens to have
    /// one of these sizes only delays a suspicion by a reading.
    public static func isControlOnly(_ txDelta: UInt64) -> Bool {
        [32, 64, 92, 148, 124, 180, 240].contains(txDelta)
    }

    /// No rx for persistent keepalive plus a margin (at least 5 s, or half the keepalive) while
    /// we send: the peer's keepalives or replies should have arrived by then.
    public static func stallLimit(keepalive: Int) -> Double {
        Double(keepalive) + max(5, Double(keepalive) / 2)
    }

    // MARK: Rules

    private mutating func received(at now: Double) {
        // The wait that ends a failure is the outage, not the traffic's rhythm (counted, it made
        // the next suspicion after a repair wait 1.3 s, then 1.8 s: bench/reconnect.sh's runs).
        if !isFailing, let sendingSince, now - sendingSince > 0, now - sendingSince <= Self.longestGap {
            estimates.noteReplyWait(now - sendingSince)
        }
        dataSinceRx = false
        // A burst cleared by traffic: the probes it lost so far were loss on a live path.
        if let burst = confirming { for _ in 0..<burst.lost { estimates.note(lost: true) } }
        lastRxAt = now
        sendingSince = nil
        confirming = nil
        silentUntil = nil
        unanswered = false
    }

    /// Silence while sending, longer than the path makes likely: ask for a burst. Before any
    /// probe has answered an automatic target, ask (rarely) for one probe, to learn that it does;
    /// likewise an explicit target, to learn the round trip.
    private mutating func suspicion(at now: Double) -> Verdict? {
        guard !isFailing, confirming == nil, silentUntil == nil, now >= quietUntil else { return nil }
        // An explicit target is trusted to answer, so nothing else would probe it before a
        // suspicion: the first burst would wait the 1 s default per probe instead of a few round
        // trips (a full tunnel, whose `ping.target` is explicit, restored in 1.9 s against 0.7 s).
        if pingIsExplicit, estimates.srtt == nil, last?.lastHandshake ?? 0 > 0, sendingSince == nil,
           now >= (nextLearnProbe ?? now) {
            learnProbes += 1
            nextLearnProbe = now + min(3600, 60 * Double(1 << min(learnProbes - 1, 6)))
            learningProbeOut = true
            return .confirm(ProbeBurst(count: 1, spacing: 0, timeout: 1))
        }
        guard probesWork else {
            guard last?.lastHandshake ?? 0 > 0, now >= (nextLearnProbe ?? now) else { return nil }
            learnProbes += 1
            nextLearnProbe = now + min(3600, 60 * Double(1 << min(learnProbes - 1, 6)))
            return .confirm(ProbeBurst(count: 1, spacing: 0, timeout: 1))
        }
        // Timed from the first reading that saw us send since the last rx (any rx clears it):
        // silence while nothing asked for an answer is no evidence.
        guard let sendingSince, now - sendingSince >= suspicionAfter else { return nil }
        return startBurst(nextSerial: nil)
    }

    private mutating func startBurst(nextSerial: Int?) -> Verdict {
        let shape = burst
        confirming = (nextSerial ?? Int.max, shape.count, 0)
        return .confirm(shape)
    }

    /// RFC 6298's estimator.
    private mutating func noteRoundTrip(_ rtt: Double) {
        if let srtt = estimates.srtt {
            estimates.rttvar = 0.75 * estimates.rttvar + 0.25 * abs(srtt - rtt)
            estimates.srtt = 0.875 * srtt + 0.125 * rtt
        } else {
            estimates.srtt = rtt
            estimates.rttvar = rtt / 2
        }
    }

    private func verdict(wasFailing: Bool, signal: PathSignal) -> Verdict? {
        switch (wasFailing, isFailing) {
        case (false, true): return .failed(signal)
        case (true, false): return .recovered
        default: return nil
        }
    }
}
