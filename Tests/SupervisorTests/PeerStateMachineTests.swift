import Supervisor
import SystemCalls
import Testing

/// Transition-by-transition tests of the per-peer state machine: no sockets, no time.
@Suite struct PeerStateMachineTests {
    typealias Machine = PeerStateMachine
    let mine = PublicEndpoints(Endpoint("203.0.113.10:35436")!)
    let theirs = Endpoint("203.0.113.20:35436")!
    let moved = Endpoint("203.0.113.20:40000")!

    func machine(refresh: Double = 600, keepalive: Int = 25) -> Machine {
        Machine(settings: .init(refreshInterval: refresh, keepalive: keepalive, jitter: 0))
    }

    /// What WireGuard says when nothing has happened yet.
    func fresh(initiator: Bool = true) -> RemoteContext {
        RemoteContext(recordSince: 1000, wireGuardEndpoint: nil, lastHandshake: 0, now: 1000, weInitiate: initiator)
    }

    /// A live session: handshake 10 s ago.
    func live(initiator: Bool = true, wg: Endpoint? = nil, rewrote: Bool = false) -> RemoteContext {
        RemoteContext(recordSince: 900, wireGuardEndpoint: wg ?? theirs, lastHandshake: 990, now: 1000, weInitiate: initiator,
                      partnerRewrote: rewrote)
    }

    /// Drives a machine from idle to monitoring with `theirs` configured.
    func monitoring(keepalive: Int = 25) -> Machine {
        var m = machine(keepalive: keepalive)
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        _ = m.handle(.configured)
        _ = m.handle(.handshakeCompleted)  // the opening's handshake: the keepalive is given back
        return m
    }

    func withoutLogs(_ actions: [Machine.Action]) -> [Machine.Action] {
        actions.filter { if case .log = $0 { return false } else { return true } }
    }

    // MARK: Set-up

    @Test func startDiscovers() {
        var m = machine()
        #expect(m.handle(.start) == [.discover])
        #expect(m.state == .discovering)
    }

    @Test func discoveryPublishesTheMapping() {
        var m = machine()
        _ = m.handle(.start)
        #expect(withoutLogs(m.handle(.discovered(mine))) == [.publish(mapping: mine)])
        #expect(m.state == .publishing)
        #expect(m.mapping == mine)
    }

    @Test func publishedReadsTheRemoteRecord() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.published)) == [.readRemote])
        #expect(m.state == .awaitingRemote)
        #expect(m.publishedMapping == mine)
    }

    @Test func atFirstContactTheInitiatorOpensThePathAndWithholdsItsKeepalive() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, fresh(initiator: true))))
            == [.open(theirs), .setEndpoint(theirs, keepalive: 0, kick: false)])
        #expect(m.keepaliveWithheld)
        #expect(m.state == .configuring(theirs))
        #expect(m.handle(.configured) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.state == .monitoring)
        #expect(m.configuredEndpoint == theirs)
    }

    @Test func theResponderOpensThePathAndWithholdsKeepaliveUntilItWorks() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, fresh(initiator: false))))
            == [.open(theirs), .setEndpoint(theirs, keepalive: 0, kick: false)])
        #expect(m.keepaliveWithheld)
        _ = m.handle(.configured)
        #expect(m.state == .monitoring)
        #expect(withoutLogs(m.handle(.pathRecovered)) == [.endOpening, .setKeepalive(25)])
        #expect(!m.keepaliveWithheld)
    }

    @Test func theResponderGivesBackItsKeepaliveAtTheFirstHandshake() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs, fresh(initiator: false)))
        _ = m.handle(.configured)
        #expect(m.handle(.handshakeCompleted) == [.endOpening, .setKeepalive(25)])
        #expect(m.handle(.handshakeCompleted) == [], "only once")
        #expect(m.handle(.initiate("late")) == [], "a late decision of the opening changes nothing")
    }

    @Test func theOpeningSaysWhenToInitiate() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs, fresh(initiator: false)))
        _ = m.handle(.configured)
        #expect(withoutLogs(m.handle(.initiate("the path is open"))) == [.setKeepalive(25)])
        #expect(!m.keepaliveWithheld)
        #expect(m.handle(.handshakeCompleted) == [])
        #expect(m.state == .monitoring)
    }

    @Test func aHandshakeChangesNothingForTheInitiator() {
        var m = monitoring()
        #expect(m.handle(.handshakeCompleted) == [])
    }

    @Test func withALiveSessionTheResponderMayKick() {
        // Nothing it sends starts a handshake while the session keys are valid.
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        let context = RemoteContext(recordSince: 995, wireGuardEndpoint: theirs, lastHandshake: 990, now: 1000, weInitiate: false)
        #expect(withoutLogs(m.handle(.remoteEndpoint(moved, context)))
            == [.punch(moved), .setEndpoint(moved, keepalive: 25, kick: true)])
        #expect(!m.keepaliveWithheld)
    }

    @Test func withoutKeepaliveThereIsNoKick() {
        var m = machine(keepalive: 0)
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, fresh()))) == [.open(theirs), .setEndpoint(theirs, keepalive: 0, kick: false)])
        #expect(!m.keepaliveWithheld, "nothing to give back: no keepalive")
    }

    // MARK: Refresh and roaming

    @Test func refreshStartsOverAndAnUnchangedEndpointIsNotRewritten() {
        var m = monitoring()
        #expect(withoutLogs(m.handle(.timerFired(.refresh))) == [.discover])
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.published)) == [.readRemote])
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.state == .monitoring)
    }

    @Test func aChangedRemoteEndpointIsConfigured() {
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        let context = RemoteContext(recordSince: 1000, wireGuardEndpoint: theirs, lastHandshake: 990, now: 1001, weInitiate: true)
        #expect(withoutLogs(m.handle(.remoteEndpoint(moved, context))) == [.setEndpoint(moved, keepalive: 25, kick: true)])
    }

    @Test func anEndpointProvenByANewerHandshakeIsNotOverwritten() {
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        // WireGuard roamed to `roamed` and shook hands at 990, after the record (900) was written.
        let roamed = Endpoint("203.0.113.20:50000")!
        let actions = m.handle(.remoteEndpoint(moved, live(wg: roamed)))
        #expect(!actions.contains { if case .setEndpoint = $0 { true } else { false } })
        #expect(m.state == .monitoring)
        #expect(m.configuredEndpoint == roamed)
    }

    @Test func aRecordNewerThanTheHandshakeIsApplied() {
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        let context = RemoteContext(recordSince: 995, wireGuardEndpoint: Endpoint("203.0.113.20:50000")!,
                                    lastHandshake: 990, now: 1000, weInitiate: true)
        #expect(withoutLogs(m.handle(.remoteEndpoint(moved, context))) == [.setEndpoint(moved, keepalive: 25, kick: true)])
    }

    // MARK: Repair

    @Test func aPathFailureWhileMonitoringRediscoversAtOnce() {
        var m = monitoring()
        #expect(withoutLogs(m.handle(.pathFailed(.unanswered))) == [.cancelTimer(.refresh), .discover])
        #expect(m.repairing == .unanswered)
    }

    @Test func duringARepairAnUnchangedMappingIsNotRepublished() {
        var m = monitoring()
        _ = m.handle(.pathFailed(.unanswered))
        #expect(withoutLogs(m.handle(.discovered(mine))) == [.readRemote])
    }

    @Test func duringARepairAChangedMappingIsPublishedThenTheRecordReRead() {
        var m = monitoring()
        _ = m.handle(.pathFailed(.rxStall))
        let newMapping = PublicEndpoints(Endpoint("203.0.113.11:35436")!)
        #expect(withoutLogs(m.handle(.discovered(newMapping))) == [.publish(mapping: newMapping)])
        #expect(withoutLogs(m.handle(.published)) == [.readRemote])
    }

    @Test func aDualStackMappingIsPublishedWholeAndRepublishedWhenEitherFamilyMoves() {
        let dual = PublicEndpoints(ipv4: Endpoint("203.0.113.10:35436")!, ipv6: Endpoint("[2001:db8:1::2]:51820")!)
        var m = machine()
        _ = m.handle(.start)
        #expect(withoutLogs(m.handle(.discovered(dual))) == [.publish(mapping: dual)])
        _ = m.handle(.published)
        #expect(m.publishedMapping == dual)
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        _ = m.handle(.configured)
        // Repairing: the same pair is not republished; a moved IPv6 alone, or a lost family, is.
        _ = m.handle(.pathFailed(.unanswered))
        #expect(withoutLogs(m.handle(.discovered(dual))) == [.readRemote])
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        _ = m.handle(.configured)
        _ = m.handle(.timerFired(.retry))
        var movedV6 = dual
        movedV6.ipv6 = Endpoint("[2001:db8:1::3]:51820")!
        #expect(withoutLogs(m.handle(.discovered(movedV6))) == [.publish(mapping: movedV6)])
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        _ = m.handle(.configured)
        _ = m.handle(.timerFired(.retry))
        let onlyV4 = PublicEndpoints(ipv4: dual.ipv4)
        #expect(withoutLogs(m.handle(.discovered(onlyV4))) == [.publish(mapping: onlyV4)])
    }

    @Test func publicEndpointsByFamily() {
        let v6 = Endpoint("[2001:db8:1::2]:51820")!
        #expect(PublicEndpoints(v6) == PublicEndpoints(ipv6: v6))
        #expect(PublicEndpoints(v6)[.ipv6] == v6 && PublicEndpoints(v6)[.ipv4] == nil)
        #expect(PublicEndpoints().isEmpty)
        #expect(PublicEndpoints(ipv4: Endpoint("203.0.113.10:1")!, ipv6: v6).description == "203.0.113.10:1, [2001:db8:1::2]:51820")
    }

    @Test func anUnmovedPeerIsReassertedOnceThenPolledWithBackoff() {
        var m = monitoring()
        _ = m.handle(.pathFailed(.unanswered))
        _ = m.handle(.discovered(mine))
        // First read in this repair: send toward the peer now.
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.setEndpoint(theirs, keepalive: 25, kick: true)])
        #expect(withoutLogs(m.handle(.configured)) == [.armTimer(.retry, seconds: 0.25)])
        #expect(m.state == .waitingToRetry(.discover))
        var delays: [Double] = []
        for _ in 0..<9 {
            #expect(m.handle(.timerFired(.retry)) == [.discover])
            _ = m.handle(.discovered(mine))
            for case .armTimer(.retry, let s) in m.handle(.remoteEndpoint(theirs, live())) { delays.append(s) }
        }
        #expect(delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30])
    }

    /// A stunmesh-go partner (records without `ts`) republishes on its own clock, 2 s apart after
    /// its ping fails: the repair polls every second for eight polls, then doubles from 2 s.
    @Test func aPartnerWithoutTimestampsIsPolledOnItsRepublishClock() {
        var m = monitoring()
        var goContext = live()
        goContext.partnerStamps = false
        _ = m.handle(.pathFailed(.unanswered))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.remoteEndpoint(theirs, goContext))
        #expect(!m.partnerStamps)
        #expect(withoutLogs(m.handle(.configured)) == [.armTimer(.retry, seconds: 1)])
        var delays: [Double] = []
        for _ in 0..<11 {
            _ = m.handle(.timerFired(.retry))
            _ = m.handle(.discovered(mine))
            for case .armTimer(.retry, let s) in m.handle(.remoteEndpoint(theirs, goContext)) { delays.append(s) }
        }
        #expect(delays == [1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16])
        // A stamped record again (a stunmeshd partner): the usual backoff.
        _ = m.handle(.pathRecovered)
        _ = m.handle(.pathFailed(.unanswered))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.remoteEndpoint(theirs, live()))
        #expect(m.partnerStamps)
        #expect(withoutLogs(m.handle(.configured)) == [.armTimer(.retry, seconds: 0.25)])
    }

    /// Neither side has moved as far as we can see after the re-assert: the partner is told once
    /// through the store (a partner re-mapped while idle finds it only by its own STUN).
    @Test func anUnmovedPeerIsToldThroughTheStoreOncePerRepair() {
        var m = monitoring()
        _ = m.handle(.pathFailed(.unanswered))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.remoteEndpoint(theirs, live()))   // re-asserted
        _ = m.handle(.configured)
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.knock, .armTimer(.retry, seconds: 0.5)])
        #expect(m.repair?.knocked == true)
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.armTimer(.retry, seconds: 1)])
        // The next repair knocks again.
        _ = m.handle(.pathRecovered)
        #expect(m.state == .monitoring)
        _ = m.handle(.pathFailed(.rxStall))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.remoteEndpoint(theirs, live()))
        _ = m.handle(.configured)
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))).contains(.knock))
    }

    /// Our mapping moved without a repair (a refresh, the idle mapping check): the unchanged
    /// endpoint is written again, so that WireGuard sends toward the peer from the new mapping
    /// (our NAT drops the peer's packets to it until we do); once only.
    @Test func aMovedMappingSendsTowardTheUnchangedPeerOnce() {
        let ourNew = PublicEndpoints(Endpoint("203.0.113.10:40001")!)
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(ourNew))
        _ = m.handle(.published)
        #expect(m.movedSinceConfigured)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.setEndpoint(theirs, keepalive: 25, kick: true)])
        #expect(!m.movedSinceConfigured)
        #expect(withoutLogs(m.handle(.configured)) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.repairing == nil)
        // The next refresh finds the same mapping: nothing is written.
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(ourNew))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        // As responder, the punch comes first.
        var r = monitoring()
        _ = r.handle(.timerFired(.refresh))
        _ = r.handle(.discovered(ourNew))
        _ = r.handle(.published)
        #expect(withoutLogs(r.handle(.remoteEndpoint(theirs, live(initiator: false))))
            == [.punch(theirs), .setEndpoint(theirs, keepalive: 25, kick: true)])
    }

    /// The peer wrote its record again without moving (its knock: it cannot reach us, e.g. its
    /// keepalive test found our NAT closed): one punch toward it re-opens our NAT. WireGuard is not
    /// written — a new keepalive would end the partner's learning, and a WireGuard packet would
    /// count there as a keepalive sent early (f85a6a4 did both and stopped learning in the lab).
    @Test func aKnockOfThePeerMakesUsPunchTowardItAndNothingElse() {
        for initiator in [true, false] {
            var m = monitoring()
            _ = m.handle(.remoteChanged)
            _ = m.handle(.discovered(mine))
            _ = m.handle(.published)
            #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live(initiator: initiator, rewrote: true))))
                == [.punch(theirs), .cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
            #expect(m.state == .monitoring)
        }
        // The same record, not newer: nothing is sent.
        var q = monitoring()
        _ = q.handle(.remoteChanged)
        _ = q.handle(.discovered(mine))
        _ = q.handle(.published)
        #expect(withoutLogs(q.handle(.remoteEndpoint(theirs, live()))) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
    }

    @Test func thePeersNewRecordEndsThePolling() {
        var m = monitoring()
        _ = m.handle(.pathFailed(.unanswered))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.remoteEndpoint(theirs, live()))
        _ = m.handle(.configured)
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.remoteEndpoint(moved, live()))) == [.setEndpoint(moved, keepalive: 25, kick: true)])
        _ = m.handle(.configured)
        #expect(withoutLogs(m.handle(.pathRecovered)) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.state == .monitoring)
        #expect(m.repairing == nil)
    }

    @Test func aFailureWhileWaitingToRetryRetriesAtOnce() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discoveryFailed("timeout"))
        #expect(withoutLogs(m.handle(.pathFailed(.rxStall))) == [.cancelTimer(.retry), .discover])
    }

    @Test func aNetworkChangeRunsTheCycleNowWithoutDeclaringARepair() {
        var m = monitoring()
        #expect(withoutLogs(m.handle(.pathFailed(.network("eth0 up")))) == [.cancelTimer(.refresh), .discover])
        #expect(m.repairing == nil)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        // The peer has not moved: back to monitoring, nothing written, no polling.
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, live()))) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
    }

    @Test func aDeviceResetWritesTheUnchangedEndpointAgain() {
        var m = monitoring()
        #expect(withoutLogs(m.handle(.deviceReset("wg0 re-created"))) == [.endOpening, .cancelTimer(.refresh), .discover])
        #expect(m.configuredEndpoint == nil)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        // The record still says `theirs`, but the new device has no endpoint (nor a session):
        // write it and open the path again.
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs, fresh()))) == [.open(theirs), .setEndpoint(theirs, keepalive: 0, kick: false)])
    }

    @Test func aNetworkChangeCutsARetryWaitShort() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discoveryFailed("Network is unreachable"))
        _ = m.handle(.discoveryFailed("x"))
        #expect(withoutLogs(m.handle(.pathFailed(.manual))) == [.cancelTimer(.retry), .discover])
        #expect(m.consecutiveFailures == 0)
    }

    @Test func aFailureWhileAStepIsInFlightLetsItFinish() {
        var m = machine()
        _ = m.handle(.start)
        #expect(withoutLogs(m.handle(.pathFailed(.unanswered))) == [])
        #expect(m.state == .discovering)
        #expect(m.repairing == .unanswered)
    }

    @Test func recoveryWithoutARepairChangesNothing() {
        var m = monitoring()
        #expect(m.handle(.pathRecovered) == [])
    }

    // MARK: Failures and backoff

    @Test func failuresBackOffExponentiallyUpToTheCap() {
        var m = machine()
        _ = m.handle(.start)
        var delays: [Double] = []
        for _ in 0..<8 {
            for case .armTimer(.retry, let s) in m.handle(.discoveryFailed("timeout")) { delays.append(s) }
            #expect(m.state == .waitingToRetry(.discover))
            #expect(m.handle(.timerFired(.retry)) == [.discover])
        }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60])
    }

    @Test func jitterSpreadsDelaysWithinTwentyPercent() {
        var m = Machine(settings: .init(refreshInterval: 600), seed: 42)
        _ = m.handle(.start)
        var delays: [Double] = []
        for _ in 0..<6 {
            for case .armTimer(.retry, let s) in m.handle(.discoveryFailed("x")) { delays.append(s) }
            _ = m.handle(.timerFired(.retry))
        }
        for (delay, base) in zip(delays, [1.0, 2, 4, 8, 16, 32]) {
            #expect(delay >= base * 0.8 && delay <= base * 1.2)
        }
        #expect(Set(delays.enumerated().map { $0.element / [1.0, 2, 4, 8, 16, 32][$0.offset] }).count > 1)
    }

    @Test func backoffNeverExceedsTheRefreshInterval() {
        var m = machine(refresh: 5)
        _ = m.handle(.start)
        var last = 0.0
        for _ in 0..<6 {
            for case .armTimer(.retry, let s) in m.handle(.discoveryFailed("x")) { last = s }
            _ = m.handle(.timerFired(.retry))
        }
        #expect(last == 5)
    }

    @Test func successResetsTheBackoff() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discoveryFailed("x"))
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discoveryFailed("x"))
        #expect(m.consecutiveFailures == 2)
        _ = m.handle(.timerFired(.retry))
        _ = m.handle(.discovered(mine))
        #expect(m.consecutiveFailures == 0)
    }

    @Test func publishFailureRetriesThePublish() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        #expect(withoutLogs(m.handle(.publishFailed("disk full"))) == [.armTimer(.retry, seconds: 1)])
        #expect(m.state == .waitingToRetry(.publish))
        #expect(m.handle(.timerFired(.retry)) == [.publish(mapping: mine)])
    }

    @Test(arguments: [Machine.Event.remoteMissing(pollEvery: 6), .remoteRejected("forged"), .remoteReadFailed("io")])
    func anUnusableRemoteRecordIsRetriedAndWireGuardUntouched(_ event: Machine.Event) {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        let actions = m.handle(event)
        #expect(!actions.contains { if case .setEndpoint = $0 { true } else { false } })
        #expect(withoutLogs(actions) == [.armTimer(.retry, seconds: 1)])
        #expect(m.state == .waitingToRetry(.readRemote))
        #expect(m.handle(.timerFired(.retry)) == [.readRemote])
    }

    @Test func aMissingRecordIsReadAgainAtTheStoresCadenceNeverLaterHoweverLongItIsMissing() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        var delays: [Double] = []
        var logs = 0
        for _ in 0..<12 {
            let actions = m.handle(.remoteMissing(pollEvery: 6))
            logs += actions.count { if case .log = $0 { true } else { false } }
            for case .armTimer(.retry, let seconds) in actions { delays.append(seconds) }
            #expect(m.handle(.timerFired(.retry)) == [.readRemote])
        }
        #expect(delays == [1, 2, 4] + Array(repeating: 6, count: 9), "the retry backoff while shorter, then the cadence")
        #expect(logs == 1, "one line for the whole wait")
        // A record ends the wait; a later miss starts over with the backoff.
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        #expect(m.consecutiveFailures == 0)
    }

    /// A cadence of a minute or more (a watched store, or a thousand peers waiting on one): it
    /// holds from the first miss, without the quick re-reads.
    @Test func aSlowCadenceHoldsFromTheFirstMiss() {
        /// The read delays of `misses` misses in a row at cadence `every`.
        func delays(every: Double, misses: Int) -> [Double] {
            var m = machine()
            _ = m.handle(.start)
            _ = m.handle(.discovered(mine))
            _ = m.handle(.published)
            var out: [Double] = []
            for _ in 0..<misses {
                for case .armTimer(.retry, let seconds) in m.handle(.remoteMissing(pollEvery: every)) { out.append(seconds) }
                _ = m.handle(.timerFired(.retry))
            }
            return out
        }
        #expect(delays(every: 200, misses: 12) == Array(repeating: 200, count: 12))
        #expect(delays(every: 59, misses: 8) == [1, 2, 4, 8, 16, 32, 59, 59], "under a minute: the ramp, then the cadence")
    }

    @Test func aRejectedRecordWhileMonitoringKeepsTheConfiguredEndpoint() {
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteRejected("bad box"))
        #expect(m.configuredEndpoint == theirs)
    }

    @Test func configureFailureRereadsTheRecord() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs, fresh()))
        #expect(withoutLogs(m.handle(.configureFailed("no such peer"))) == [.armTimer(.retry, seconds: 1)])
        #expect(m.state == .waitingToRetry(.configure))
        #expect(m.handle(.timerFired(.retry)) == [.readRemote])
        #expect(m.configuredEndpoint == nil)
    }

    @Test func stopCancelsTimersAndIgnoresLateCompletions() {
        var m = monitoring()
        #expect(m.handle(.stop) == [.cancelTimer(.retry), .cancelTimer(.refresh), .endOpening])
        #expect(m.state == .stopped)
        #expect(m.handle(.discovered(mine)) == [])
        #expect(m.handle(.timerFired(.refresh)) == [])
        #expect(m.handle(.pathFailed(.unanswered)) == [])
        #expect(m.handle(.start) == [])
    }

    @Test func eventsThatDoNotFitTheStateAreIgnored() {
        var m = machine()
        #expect(m.handle(.discovered(mine)) == [])
        #expect(m.handle(.timerFired(.retry)) == [])
        _ = m.handle(.start)
        #expect(m.handle(.published) == [])
        #expect(m.handle(.timerFired(.refresh)) == [])
        #expect(m.state == .discovering)
    }
}
