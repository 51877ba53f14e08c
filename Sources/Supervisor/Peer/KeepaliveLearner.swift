/// Learns how long both NATs keep the peer flow open while it is idle, and chooses the
/// persistent keepalive from it. Pure and clock-free (every input carries its time), carried out
/// by `PeerRuntime`; docs/keepalive.md gives the reasoning and the numbers.
///
/// **What a keepalive must cover.** WireGuard re-arms a peer's persistent-keepalive timer on every
/// authenticated packet sent *or received*, so on an idle tunnel only the side whose timer fires
/// first sends: the flow carries one packet every min(K_leader, K_follower), and each crossing
/// refreshes both NATs' entries (conntrack: a packet either way). The flow stays open while that
/// interval is shorter than both NATs' idle lifetimes.
///
/// **Leader and follower.** The side that initiates (the same key order as the handshake roles)
/// leads: it learns and its keepalive keeps the flow. The follower keeps its own keepalive just
/// above the leader's longest test (`followerKeepalive`), so it never ends the leader's silences
/// but still covers the flow if the leader's packets stop; and it answers each of the leader's
/// tests with a test of its own in the other direction.
///
/// **A test of silence S** (the leader): its keepalive is set above S; once nothing has been sent
/// or received for S seconds it probes through the tunnel. Our NAT's entry is re-made by the probe
/// on its way out, so an answer proves the *far* NAT passed inbound traffic after S seconds (a
/// STUN exchange with a server is a different conntrack entry, on the short "unreplied" timer:
/// the wrong thing). The follower, seeing that probe arrive after its own S seconds of idle, waits
/// S seconds of idle again and probes back: its probe reaching us proves *our* NAT. The silence is
/// proven when both happened; refuted when every probe of ours was lost, or the follower's probe
/// never came (our NAT dropped it — or the follower does not answer tests: then nothing is
/// lengthened, which is safe).
///
/// **The ladder.** 20 s first (it also tells the follower that the leader learns), then ×1.4 while
/// tests pass; after a failure, bisection between the longest proven and shortest refuted silence
/// until they are within 15 %. The keepalive is then 0.8 × the proven silence (never under 10 s,
/// never above 0.8 × a refuted one); 25 s until anything is proven.
///
/// **What a failed test costs.** The far NAT has closed: traffic from our side is lost until the
/// follower sends. We ask it to at once (`askPartnerToSend`: a knock through a watched store, the
/// follower punches); without such a store its keepalive re-opens the NAT — at most
/// `followerKeepalive` after the follower's last packet. `PeerRuntime` tells the path monitor not
/// to raise a suspicion for that long.
public struct KeepaliveLearner: Sendable {
    /// What to carry out.
    public enum Action: Equatable, Sendable {
        /// Set the peer's persistent keepalive in WireGuard to this many seconds.
        case setKeepalive(Int)
        /// Set it through 0, so that WireGuard sends a keepalive at once (the 0 → n transition):
        /// our NAT was found closed and our next packet re-opens it.
        case kick(Int)
        /// Send `count` probes through the tunnel `spacing` seconds apart, each waited for
        /// `timeout` seconds; report each with `probeAnswered`/`probeLost`.
        case probe(count: Int, spacing: Double, timeout: Double)
        /// The far NAT was found closed (every probe of a test lost): nothing of ours reaches the
        /// follower until it sends, which unasked would be its next keepalive — up to
        /// `followerKeepalive` after its last packet, a one-way outage while learning. Ask it to
        /// send now: the runtime knocks through the store, and a follower that reads the knock
        /// punches toward us (a raw packet: it re-makes its NAT's entry without touching either
        /// WireGuard, so nothing here counts it as a keepalive).
        case askPartnerToSend
    }

    /// Where the learning stands (for status and logs).
    public enum Phase: Equatable, Sendable {
        /// The user set `keepalive:`; nothing is learned.
        case fixed
        /// The follower: keeps its keepalive above the leader's tests and answers them.
        case following
        /// The leader, between tests.
        case waiting
        /// The leader, testing `silence` seconds.
        case testing(silence: Double)
        /// The leader: bounds within 15 % (or the longest test passed); the keepalive stands until
        /// the network changes.
        case learned
    }

    // MARK: The numbers (docs/keepalive.md)

    /// The keepalive until anything is proven (WireGuard's recommendation, stunmesh-go's value).
    public static let defaultKeepalive = 25
    /// The shortest keepalive chosen.
    public static let floor = 10
    /// The keepalive is this share of the proven silence.
    public static let share = 0.8
    /// The first silence tested: under the default keepalive, so a follower still at 25 s lets
    /// it happen (and learns from it that the leader learns).
    public static let firstTest = 20.0
    /// Each test after a pass is this much longer, until one fails.
    public static let growth = 1.4
    /// Bisection stops when the refuted silence is within this factor of the proven one (or
    /// within three reading intervals of it).
    public static let resolution = 1.15
    /// The longest silence tested (past ~4 minutes a longer keepalive saves little).
    public static let longestTest = 300.0
    /// Our keepalive during a test of silence S is S plus this: it must not end the silence, nor
    /// come before the follower's answer.
    public static let testMargin = 8.0
    /// How long each probe of a test is waited for.
    public static let probeWait = 2.0
    /// Probes of one test, `probeSpacing` apart; all lost refutes the silence.
    public static let probesPerTest = 3
    /// See `probesPerTest`.
    public static let probeSpacing = 0.3
    /// Seconds between the path coming up and the first test, and between tests.
    public static let pause = 5.0
    /// The follower's answer is overdue this long after its expected time.
    public static let answerGrace = 5.0
    /// WireGuard's passive keepalive (KEEPALIVE_TIMEOUT): a side that received data and sent
    /// nothing back sends a keepalive 10 s later. Our probes' answers are data, so 10 s after a
    /// test's probes we send one: the follower's silence, and so its answer, starts after it.
    public static let passiveKeepalive = 10.0
    /// A test whose silence never comes (the peer keeps sending) gives up after this many times
    /// its silence; the next try waits `retryAfterGiveUp`.
    public static let giveUpFactor = 3.0
    /// See `giveUpFactor`.
    public static let retryAfterGiveUp = 1800.0
    /// Gaps shorter than this are traffic, not a test or a keepalive rhythm.
    public static let shortestGap = 8.0

    /// Whether `rxDelta` bytes received in one reading look like the leader's test probes: one to
    /// three of stunmeshd's echo requests through WireGuard (a 44-byte IPv4 or 64-byte IPv6
    /// packet, padded to 48 or 64, plus WireGuard's 32 bytes: 80 or 96 on the counters), maybe
    /// after a handshake initiation (148), and a keepalive (32), when the session lapsed during the
    /// silence — which every test longer than about two minutes meets (seen in the lab: 260 and
    /// 420 bytes; before this the follower never answered such tests and learning stopped near
    /// 35 s). A user's default ping (84 bytes, 128 on the counters) is not one.
    public static func isTestProbe(rxDelta: UInt64) -> Bool {
        for handshake: UInt64 in [0, 148, 180] where rxDelta > handshake {
            let rest = rxDelta - handshake
            for size: UInt64 in [80, 96] where rest % size == 0 && (1...3).contains(rest / size) { return true }
        }
        return false
    }

    /// The follower's keepalive for a leader whose longest test so far lasted `rhythm` seconds:
    /// above the next test (at most `growth` × that) plus the margin; 25 s before any test is
    /// seen (a leader that does not learn keeps its own keepalive).
    public static func followerKeepalive(rhythm: Double?) -> Int {
        guard let rhythm else { return defaultKeepalive }
        return max(defaultKeepalive, Int((growth * rhythm + testMargin).rounded(.up)))
    }

    /// The user's `keepalive:` (nil: learn).
    public let fixedKeepalive: Int?
    /// Whether we lead (the side that initiates).
    public let leads: Bool
    /// How far apart two readings may be, seconds (the daemon's idle poll interval).
    public let readingInterval: Double

    /// Longest silence after which the peer's traffic got in: our NAT passed inbound traffic
    /// after that long (exact: our NAT's entry idles only while we see nothing, in or out), less
    /// one reading's granularity.
    public private(set) var passive: Double?
    /// Longest silence after which our probe was answered: the far NAT passed it — provided our
    /// own NAT lived that long too (if not, a packet of the peer's may have been dropped at ours
    /// unseen, and its way out refreshed the far NAT). So only min(passive, probed) is proven.
    public private(set) var probed: Double?
    /// Shortest silence refuted by a test.
    public private(set) var refuted: Double?
    /// The silence of the last test that passed (what it aimed at, not what it proved).
    private var lastPassed: Double?
    /// The follower: the longest leader's test seen (a data packet after a silence).
    public private(set) var rhythm: Double?
    /// The last time the peer's traffic came in after a silence (for debug logs): the silence,
    /// what the reading saw, and whether it counted as passive evidence.
    public private(set) var lastHeard: (idle: Double, rxDelta: UInt64, txDelta: UInt64, counted: Bool)?
    /// The keepalive last asked for (0: none yet, or the path went down since).
    public private(set) var chosen = 0

    private struct Test: Sendable {
        enum Step: Sendable {
            case silence
            /// Probes out: the silence measured when the first went out, when, how many left.
            case probing(measured: Double, at: Double, out: Int)
            /// Our probe was answered; waiting for the follower's.
            case awaitingAnswer(measured: Double, since: Double)
        }
        var silence: Double
        var since: Double
        var step = Step.silence
    }

    private var lastTraffic: Double?
    private var lastRx: UInt64?
    private var lastTx: UInt64?
    private var nextTestAt: Double?
    private var test: Test?
    /// The follower: answer the leader's test once idle this long.
    private var answerAfter: Double?
    /// The leader: inbound keepalives that came before ours was due, in a row (the follower
    /// shortened its keepalive: its network changed).
    private var earlyKeepalives = 0
    /// When our last probes went out: their answers are not the peer's traffic after a silence.
    private var ownProbesAt = -Double.infinity
    /// Since when the far NAT is known closed by a failed test: no new test until the peer's
    /// traffic shows it open again (its keepalive), so that two failed tests never join into one
    /// long outage.
    private var closedSince: Double?
    private var rxAtClose: UInt64?

    /// A learner; `fixedKeepalive` is the user's `keepalive:` if the file has one.
    public init(fixedKeepalive: Int?, leads: Bool, readingInterval: Double = 1) {
        self.fixedKeepalive = fixedKeepalive
        self.leads = leads
        self.readingInterval = readingInterval
    }

    /// Where the learning stands.
    public var phase: Phase {
        if fixedKeepalive != nil { return .fixed }
        if !leads { return .following }
        if let test { return .testing(silence: test.silence) }
        return nextSilence == nil ? .learned : .waiting
    }

    /// The silence proven for both NATs: min(passive, probed).
    public var proven: Double? {
        guard let passive, let probed else { return nil }
        return min(passive, probed)
    }

    /// The keepalive that what is known allows.
    public var safeKeepalive: Int {
        if let fixedKeepalive { return fixedKeepalive }
        guard leads else { return Self.followerKeepalive(rhythm: rhythm) }
        var k = Double(Self.defaultKeepalive)
        if let proven, proven >= Self.firstTest - 2 * readingInterval { k = Self.share * proven }
        if let refuted { k = min(k, Self.share * refuted) }
        return max(Self.floor, Int(k.rounded(.down)))
    }

    /// The next silence to test; nil when learning is done.
    var nextSilence: Double? {
        guard let refuted else {
            guard let proven, proven >= Self.firstTest - 2 * readingInterval else { return Self.firstTest }
            guard proven < Self.longestTest - 1 else { return nil }
            return min(proven * Self.growth, Self.longestTest)
        }
        let low = proven ?? Double(Self.floor)
        // Within 15 %, or within what the readings can tell apart (a second each side).
        guard refuted / low > Self.resolution, refuted - low > 3 * readingInterval else { return nil }
        let next = (low + refuted) / 2
        // Both sides measure a silence up to a reading short, so a passed test may prove a
        // little less than it tested; a next test no longer than the last passed one would only
        // repeat it.
        if let lastPassed, next - lastPassed < readingInterval { return nil }
        return next
    }

    /// Until when the path toward the peer may be closed by a test that failed (the follower's
    /// keepalive re-opens it); nil when no test failed just now.
    public private(set) var closedUntil: Double?

    // MARK: Inputs

    /// A WireGuard reading: `pathUp` when the machine is monitoring a working path (nothing
    /// failing, the keepalive not withheld). While the path is not up nothing is tested and the
    /// keepalive is left to the state machine (which writes the default when it configures); the
    /// learner writes its choice again once the path is up.
    public mutating func observe(now: Double, rxBytes: UInt64, txBytes: UInt64, pathUp: Bool) -> [Action] {
        var actions: [Action] = []
        if let lastRx, rxBytes != lastRx, let lastTraffic {
            let idle = now - lastTraffic
            heard(idle: idle, rxDelta: rxBytes &- lastRx, txDelta: txBytes &- (lastTx ?? txBytes), now: now)
        }
        if lastRx != rxBytes || lastTx != txBytes || lastTraffic == nil { lastTraffic = now }
        lastRx = rxBytes
        lastTx = txBytes
        guard pathUp else {
            if test != nil { test = nil }
            answerAfter = nil
            chosen = 0
            nextTestAt = max(nextTestAt ?? 0, now + Self.pause)
            return []
        }
        guard fixedKeepalive == nil else { return choose(safeKeepalive) }
        let idle = now - (lastTraffic ?? now)
        guard leads else {
            if let after = answerAfter, idle >= after {
                answerAfter = nil
                ownProbesAt = now
                actions.append(.probe(count: Self.probesPerTest, spacing: Self.probeSpacing, timeout: Self.probeWait))
            }
            return choose(safeKeepalive) + actions
        }
        if earlyKeepalives >= 3 {
            return reset(now: now)
        }
        if let since = closedSince {
            if lastTraffic ?? 0 > since, let rx = lastRx, rx != rxAtClose {
                closedSince = nil
                nextTestAt = now + Self.pause
            } else if now - since > 2 * Double(Self.followerKeepalive(rhythm: proven ?? Self.firstTest)) + 30 {
                closedSince = nil
                nextTestAt = now + Self.pause
            } else {
                return choose(safeKeepalive)
            }
        }
        if let test {
            switch test.step {
            case .silence:
                if idle >= test.silence {
                    ownProbesAt = now
                    self.test?.step = .probing(measured: idle, at: now, out: Self.probesPerTest)
                    return [.probe(count: Self.probesPerTest, spacing: Self.probeSpacing, timeout: Self.probeWait)]
                }
                if now - test.since > Self.giveUpFactor * (test.silence + Self.testMargin) {
                    return finish(now: now, wait: Self.retryAfterGiveUp)
                }
            case .probing:
                break
            case .awaitingAnswer(let measured, let since):
                if (passive ?? 0) >= test.silence - 2 * readingInterval {
                    probed = max(probed ?? 0, measured)
                    if let refuted, refuted <= measured { self.refuted = nil }
                    lastPassed = max(lastPassed ?? 0, test.silence)
                    return finish(now: now, wait: Self.pause)
                }
                if now - since > Self.passiveKeepalive + test.silence + Self.answerGrace + 2 * readingInterval {
                    // Our NAT dropped the follower's answer (or it does not answer): refuted. Its
                    // answer re-opened its own NAT; a keepalive from us now re-opens ours.
                    refute(test.silence, now: now)
                    let actions = finish(now: now, wait: Self.pause)
                    return actions.isEmpty ? [.kick(chosen)] : actions.map {
                        if case .setKeepalive(let k) = $0 { return .kick(k) } else { return $0 }
                    }
                }
            }
            return []
        }
        guard let silence = nextSilence, let nextTestAt, now >= nextTestAt else {
            if nextTestAt == nil { nextTestAt = now + Self.pause }
            return choose(safeKeepalive)
        }
        test = Test(silence: silence, since: now)
        earlyKeepalives = 0
        closedUntil = nil
        return choose(Int((silence + Self.testMargin).rounded(.up)))
    }

    /// A probe of ours was answered.
    public mutating func probeAnswered(now: Double) -> [Action] {
        guard leads, let test, case .probing(let measured, _, _) = test.step else { return [] }
        self.test?.step = .awaitingAnswer(measured: measured, since: now)
        lastTraffic = now
        return []
    }

    /// A probe of ours went unanswered; when every one of a test has, its silence is refuted.
    public mutating func probeLost(now: Double) -> [Action] {
        guard leads, let test, case .probing(let measured, let at, let out) = test.step else { return [] }
        guard out <= 1 else {
            self.test?.step = .probing(measured: measured, at: at, out: out - 1)
            return []
        }
        // The silence was at most one reading longer than measured.
        refute(measured + readingInterval, now: now)
        closedSince = now
        rxAtClose = lastRx
        // The far NAT is closed until the follower sends: its keepalive, due at most
        // `followerKeepalive` after the last packet it saw (the one before this silence).
        closedUntil = at - measured + Double(Self.followerKeepalive(rhythm: proven ?? Self.firstTest)) + 2
        return [.askPartnerToSend] + finish(now: now, wait: Self.pause)
    }

    /// No probe can go out (no target that answers, no endpoint): a test cannot run.
    public mutating func probeUnavailable(now: Double) -> [Action] {
        guard leads, test != nil else { return [] }
        return finish(now: now, wait: Self.retryAfterGiveUp)
    }

    /// The network changed (a new endpoint for the peer, a new mapping of ours, a network event,
    /// WireGuard re-created): what was learned may not hold; start again from 25 s. A follower
    /// goes back to 25 s too: the leader then sees our keepalives come before its own and
    /// relearns.
    public mutating func reset(now: Double) -> [Action] {
        passive = nil
        probed = nil
        refuted = nil
        lastPassed = nil
        rhythm = nil
        test = nil
        answerAfter = nil
        earlyKeepalives = 0
        closedUntil = nil
        closedSince = nil
        nextTestAt = now + Self.pause
        return chosen == 0 ? [] : choose(safeKeepalive)
    }

    // MARK: Rules

    /// Something came in after `idle` seconds of silence.
    private mutating func heard(idle: Double, rxDelta: UInt64, txDelta: UInt64, now: Double) {
        let ownAnswers = Double(Self.probesPerTest) * Self.probeSpacing + Self.probeWait + readingInterval
        guard idle >= Self.shortestGap, now - ownProbesAt > ownAnswers else { return }
        let got = idle - readingInterval
        // Only when nothing of ours went out in the same reading, or only the kernel's echo
        // replies to the probes that came in (probe-sized, no more of them — a reading may fall
        // between a probe and its reply): a packet of ours sent first would have
        // re-opened our NAT, and what came in after it proves nothing about the silence.
        // Our replies may bring a rekey along (WireGuard initiates one when it sends on a keypair
        // older than 120 s — sending the replies is what starts it, so it went out after): an
        // initiation (148) and the keepalive that confirms the new session (32), or a response
        // (92) and a keepalive.
        let onlyReplies = [0, 92, 124, 148, 180].contains { (handshake: UInt64) in
            txDelta > handshake && txDelta - handshake <= rxDelta && Self.isTestProbe(rxDelta: txDelta - handshake)
        }
        // Or only our handshake response (and its keepalive) to the peer's initiation: the peer's
        // WireGuard started a session after the silence (its own data, or a lapsed session).
        let onlyResponse = (txDelta == 92 || txDelta == 124) && rxDelta >= 148
        let counted = txDelta == 0 || onlyReplies || onlyResponse
        lastHeard = (idle, rxDelta, txDelta, counted)
        if counted, got > passive ?? 0 { passive = got }
        let isData = !PathMonitor.isControlOnly(rxDelta)
        if leads {
            // The follower's keepalive before ours was due: it went back to 25 s (its network
            // changed). Three in a row: relearn.
            var silent = true
            if let test, case .silence = test.step {} else if test != nil { silent = false }
            if !isData, silent, proven != nil, chosen > 0, idle < Double(chosen) - 5 {
                earlyKeepalives += 1
            } else {
                earlyKeepalives = 0
            }
        } else if fixedKeepalive == nil, Self.isTestProbe(rxDelta: rxDelta) {
            // The leader's test probe: follow its rhythm, and answer after the same silence.
            rhythm = max(rhythm ?? 0, min(idle, Self.longestTest + Self.testMargin))
            // Its silence was measured from our reading of its last packet, up to a reading late;
            // ours is too, so answering a reading early makes the leader's NAT idle about as long.
            answerAfter = max(idle - readingInterval, Self.shortestGap)
        }
    }

    private mutating func refute(_ silence: Double, now: Double) {
        refuted = min(refuted ?? .infinity, silence)
        if let probed, probed >= silence { self.probed = nil }
    }

    private mutating func finish(now: Double, wait: Double) -> [Action] {
        test = nil
        earlyKeepalives = 0
        nextTestAt = now + wait
        return choose(safeKeepalive)
    }

    private mutating func choose(_ keepalive: Int) -> [Action] {
        guard keepalive != chosen else { return [] }
        chosen = keepalive
        return [.setKeepalive(keepalive)]
    }
}
