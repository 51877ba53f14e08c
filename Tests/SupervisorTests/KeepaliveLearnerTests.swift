import Supervisor
import Testing

/// The keepalive learner on its own inputs, and a leader and a follower against modelled NATs
/// (KeepaliveSimulation).
@Suite struct KeepaliveLearnerTests {
    /// A leader whose first test (20 s) passed: its probe answered at 20 s, the follower's after
    /// 22 s of silence.
    static func leaderWithTwentySecondsProven() -> KeepaliveLearner {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        _ = l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 5, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 20, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.probeAnswered(now: 20)
        _ = l.observe(now: 42, rxBytes: 240, txBytes: 240, pathUp: true)
        return l
    }

    @Test func aUsersKeepaliveIsKeptAndNothingIsTested() {
        var l = KeepaliveLearner(fixedKeepalive: 15, leads: true)
        #expect(l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true) == [.setKeepalive(15)])
        for t in 1..<400 {
            #expect(l.observe(now: Double(t), rxBytes: 0, txBytes: 0, pathUp: true) == [], "no test at \(t) s")
        }
        #expect(l.phase == .fixed)
    }

    /// The leader: 25 s, then a test of 20 s (keepalive 28 so that it does not end the silence),
    /// probes after 20 s of silence, and the silence is proven once the follower's own probe has
    /// come in after about as long.
    @Test func aTestIsProvenByOurAnswerAndTheFollowersProbe() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        #expect(l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true) == [.setKeepalive(25)], "25 s until learned")
        #expect(l.observe(now: 4, rxBytes: 0, txBytes: 0, pathUp: true) == [])
        #expect(l.observe(now: 5, rxBytes: 0, txBytes: 0, pathUp: true) == [.setKeepalive(28)])
        #expect(l.phase == .testing(silence: 20))
        #expect(l.observe(now: 19, rxBytes: 0, txBytes: 0, pathUp: true) == [])
        #expect(l.observe(now: 20, rxBytes: 0, txBytes: 0, pathUp: true) == [.probe(count: 3, spacing: 0.3, timeout: 2)])
        #expect(l.probeAnswered(now: 20.01) == [])
        #expect(l.observe(now: 21, rxBytes: 240, txBytes: 240, pathUp: true) == [], "our own answers are not the peer's")
        #expect(l.passive == nil)
        #expect(l.observe(now: 42, rxBytes: 480, txBytes: 480, pathUp: true) == [.setKeepalive(16)],
                "the follower's probe after 21 s: proven min(20, 20) → 0.8 × 20")
        #expect(l.proven == 20)
        #expect(l.observe(now: 47, rxBytes: 480, txBytes: 480, pathUp: true) == [.setKeepalive(36)], "next: 28 s")
    }

    @Test func everyProbeLostRefutesTheSilenceAndTheNextTestBisects() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        _ = l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 5, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 20, rxBytes: 0, txBytes: 0, pathUp: true)
        #expect(l.probeLost(now: 22) == [] && l.probeLost(now: 22.3) == [])
        #expect(l.probeLost(now: 22.6) == [.askPartnerToSend, .setKeepalive(16)],
                "refuted at 20-21 s: 0.8 × 21; the follower is asked to send (its NAT is closed toward us)")
        #expect(l.refuted == 21)
        #expect(l.closedUntil != nil, "the far NAT is closed until the follower's keepalive")
        _ = l.observe(now: 28, rxBytes: 0, txBytes: 0, pathUp: true)
        #expect(l.phase == .waiting, "no test before the far side's traffic shows its NAT open again")
        _ = l.observe(now: 40, rxBytes: 32, txBytes: 0, pathUp: true)
        #expect(l.observe(now: 45, rxBytes: 32, txBytes: 0, pathUp: true) == [.setKeepalive(24)])
        #expect(l.phase == .testing(silence: 15.5), "bisection between 10 and 21")
    }

    /// A reading can fall between the follower's probes and our echo replies (rx 160, tx 80):
    /// still the follower's traffic after the silence. A keepalive of ours in the same reading
    /// (tx 32) is not: it may have re-opened our NAT first.
    @Test func passiveEvidenceAllowsOnlyOurEchoReplies() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        _ = l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 20, rxBytes: 160, txBytes: 80, pathUp: true)
        #expect(l.passive == 19)
        _ = l.observe(now: 50, rxBytes: 320, txBytes: 112, pathUp: true)
        #expect(l.passive == 19, "30 s, but our keepalive went out in the same reading")
        _ = l.observe(now: 80, rxBytes: 652, txBytes: 500, pathUp: true)
        #expect(l.passive == 29, "probes and a handshake response in; our replies and the rekey they started out")
        _ = l.observe(now: 120, rxBytes: 824, txBytes: 760, pathUp: true)
        #expect(l.passive == 39, "seen in the lab: a probe and a response in (172), our reply, the initiation and its confirming keepalive out (260)")
        _ = l.observe(now: 170, rxBytes: 1036, txBytes: 852, pathUp: true)
        #expect(l.passive == 49, "the peer's initiation and keepalives in (212), only our response out (92)")
        _ = l.observe(now: 230, rxBytes: 1128, txBytes: 1064, pathUp: true)
        #expect(l.passive == 49, "our initiation went out (212), the response came in: ours first")
    }

    @Test func aFollowersAnswerThatNeverComesRefutesTheSilence() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        _ = l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 5, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 20, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.probeAnswered(now: 20.01)
        #expect(l.observe(now: 30, rxBytes: 0, txBytes: 32, pathUp: true) == [], "our passive keepalive")
        #expect(l.observe(now: 57, rxBytes: 0, txBytes: 32, pathUp: true) == [], "still in time: 10 + 20 + 5 + 2 s")
        #expect(l.observe(now: 58, rxBytes: 0, txBytes: 32, pathUp: true) == [.kick(16)],
                "our NAT is closed: a keepalive at once re-opens it")
        #expect(l.refuted == 20 && l.proven == nil)
    }

    /// The follower: 25 s until the leader's first test probe arrives, then above the leader's
    /// next test; it answers after the same silence.
    @Test func theFollowerStaysAboveTheLeadersTestsAndAnswersThem() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: false)
        #expect(l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true) == [.setKeepalive(25)])
        #expect(l.observe(now: 21, rxBytes: 240, txBytes: 240, pathUp: true) == [.setKeepalive(38)],
                "three probes after 21 s: 1.4 × 21 + 8")
        #expect(l.observe(now: 40, rxBytes: 240, txBytes: 240, pathUp: true) == [])
        #expect(l.observe(now: 41, rxBytes: 240, txBytes: 240, pathUp: true) == [.probe(count: 3, spacing: 0.3, timeout: 2)],
                "after 21 - 1 s of silence (ours is measured up to a reading late)")
        #expect(l.observe(now: 42, rxBytes: 480, txBytes: 480, pathUp: true) == [], "its answers to ours: no new test")
        #expect(l.observe(now: 80, rxBytes: 608, txBytes: 608, pathUp: true) == [], "a user's ping after a silence is no test")
        #expect(l.phase == .following && l.rhythm == 21)
    }

    /// A follower whose network changed goes back to 25 s: its keepalives then come before the
    /// leader's (here 8 s gaps under a learned 16 s); three in a row and the leader relearns.
    @Test func theLeaderRelearnsWhenTheFollowersKeepalivesComeFirst() {
        var l = Self.leaderWithTwentySecondsProven()
        #expect(l.chosen == 16)
        #expect(l.observe(now: 51, rxBytes: 272, txBytes: 240, pathUp: true) == [.setKeepalive(36)], "the next test")
        #expect(l.observe(now: 60, rxBytes: 304, txBytes: 240, pathUp: true) == [])
        #expect(l.observe(now: 69, rxBytes: 336, txBytes: 240, pathUp: true) == [])
        #expect(l.observe(now: 78, rxBytes: 368, txBytes: 240, pathUp: true) == [.setKeepalive(25)])
        #expect(l.proven == nil)
    }

    @Test func aPathThatGoesDownCancelsTheTestAndTheChoiceIsWrittenAgainWhenUp() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        _ = l.observe(now: 0, rxBytes: 0, txBytes: 0, pathUp: true)
        _ = l.observe(now: 5, rxBytes: 0, txBytes: 0, pathUp: true)
        #expect(l.observe(now: 15, rxBytes: 0, txBytes: 0, pathUp: false) == [])
        #expect(l.phase == .waiting && l.chosen == 0)
        #expect(l.observe(now: 16, rxBytes: 0, txBytes: 0, pathUp: true) == [.setKeepalive(25)])
    }

    @Test func aPartnerThatNeverFallsSilentMakesTheTestGiveUp() {
        var l = KeepaliveLearner(fixedKeepalive: nil, leads: true)
        var rx: UInt64 = 0
        var actions: [KeepaliveLearner.Action] = []
        for t in 0..<200 {
            if t % 10 == 0 { rx += 32 }  // the partner's 10 s keepalive
            actions += l.observe(now: Double(t), rxBytes: rx, txBytes: 0, pathUp: true)
        }
        #expect(actions == [.setKeepalive(25), .setKeepalive(28), .setKeepalive(25)], "\(actions)")
        #expect(l.phase == .waiting)
    }

    @Test func aNetworkChangeForgetsWhatWasLearned() {
        var l = Self.leaderWithTwentySecondsProven()
        #expect(l.proven == 20)
        #expect(l.reset(now: 50) == [.setKeepalive(25)])
        #expect(l.proven == nil)
    }

    @Test func testProbesAreToldFromUserTraffic() {
        for size: UInt64 in [80, 160, 240, 96, 192, 288, 228, 148 + 96, 260, 420] {
            #expect(KeepaliveLearner.isTestProbe(rxDelta: size), "\(size)")
        }
        for size: UInt64 in [32, 128, 148, 92, 256, 320, 400, 1000] {
            #expect(!KeepaliveLearner.isTestProbe(rxDelta: size), "\(size)")
        }
    }

    // MARK: Two learners against modelled NATs

    /// Both NATs' idle entries live 30 s (the short scene): the keepalive ends under
    /// 0.8 × 30 s and nothing is dropped after learning.
    @Test(arguments: SimArgs.lifetimes)
    func bothSidesLearnTheLifetimeAndKeepTheFlowOpen(lifetime: Double) {
        let outcome = KeepaliveSimulation(lifetimeA: lifetime, lifetimeB: lifetime).run(seconds: 7200, settled: 3600)
        #expect(outcome.a.phase == .learned && outcome.b.phase == .following, "\(outcome.a.phase) \(outcome.b.phase)")
        let flow = min(outcome.keepaliveA, outcome.keepaliveB)
        #expect(Double(flow) <= 0.8 * lifetime, "keepalive \(flow) s for a \(lifetime) s NAT")
        #expect(Double(flow) >= 0.8 * lifetime / 1.3, "keepalive \(flow) s: too short for a \(lifetime) s NAT")
        #expect(outcome.drops == 0, "\(outcome.drops) packets dropped after learning")
        #expect(outcome.longestGap < lifetime, "longest gap \(outcome.longestGap) s")
    }

    /// Different lifetimes: the flow's keepalive is under the shorter.
    @Test func differentNATsKeepTheFlowUnderTheShorterLifetime() {
        let outcome = KeepaliveSimulation(lifetimeA: 60, lifetimeB: 180).run(seconds: 7200, settled: 3600)
        #expect(outcome.drops == 0)
        #expect(outcome.longestGap < 60 && outcome.longestGap >= 35, "longest gap \(outcome.longestGap) s")
    }

    /// The kernel's own "stream" timer (120 s): tests of 157, 135 and 124 s outlast the
    /// follower's NAT. Asked through the store, the follower punches a second later, so the
    /// leader's side is cut off only from the NAT's expiry to the test's probes and their wait
    /// (the part no test beyond the lifetime can avoid: 40 s for the 157 s test); unasked, until
    /// the follower's keepalive (1.4 × its longest test seen + 8 s = 165 s after the last packet).
    @Test func aKnockEndsTheOutageOfARefutedTest() {
        let asked = KeepaliveSimulation(lifetimeA: 120, lifetimeB: 120).run(seconds: 5400, settled: 0)
        var silentScene = KeepaliveSimulation(lifetimeA: 120, lifetimeB: 120)
        silentScene.knocksArrive = false
        let unasked = silentScene.run(seconds: 5400, settled: 0)
        #expect(asked.knocks >= 1 && unasked.knocks == asked.knocks, "\(asked.knocks) and \(unasked.knocks) knocks")
        #expect(asked.a.phase == .learned && unasked.a.phase == .learned)
        #expect(asked.keepaliveA == unasked.keepaliveA, "the knock changes what is learned: \(asked.keepaliveA) vs \(unasked.keepaliveA)")
        // The longest test is 151 s: 31 s past the NAT, plus 2.6 s of probes and 1 s for the knock.
        // The longest test, 157 s, is 37 s past the NAT; then 1 s to read, 2.6 s of probes, 1 s
        // for the knock.
        #expect(asked.longestClosedTowardB <= 43, "cut off \(asked.longestClosedTowardB) s at once with the knock")
        #expect(asked.closedTowardB <= 0.6 * unasked.closedTowardB,
                "cut off \(asked.closedTowardB) s in all with the knock, \(unasked.closedTowardB) s without")
    }

    /// A follower that keeps 25 s (stunmesh-go, or a user's `keepalive:`): nothing to learn,
    /// nothing lost.
    @Test func aFixedPartnerKeepsItsInterval() {
        let outcome = KeepaliveSimulation(lifetimeA: 180, lifetimeB: 180, fixedB: 25).run(seconds: 7200, settled: 600)
        #expect(outcome.drops == 0)
        #expect(outcome.longestGap <= 25.5)
    }
}
