import Stun
@testable import Supervisor
import SystemCalls
import Testing

/// The pure record of what happened to a peer: rx progress, restore timing, endpoint origins.
@Suite struct OpsHistoryTests {
    let theirs = Endpoint("203.0.113.20:35436")!
    let roamed = Endpoint("203.0.113.20:40000")!
    let mine = Endpoint("203.0.113.10:35436")!
    func context() -> RemoteContext {
        RemoteContext(recordSince: 0, wireGuardEndpoint: nil, lastHandshake: 0, now: 0, weInitiate: true)
    }

    @Test func rxProgressSeesGrowthBetweenReadingsAndHandshakes() {
        var rx = RxProgress()
        rx.note(rxBytes: 0, lastHandshake: 0, at: 100)
        #expect(rx.lastAdvanceAt == nil)
        rx.note(rxBytes: 0, lastHandshake: 0, at: 101)
        #expect(rx.lastAdvanceAt == nil)
        rx.note(rxBytes: 92, lastHandshake: 0, at: 102)
        #expect(rx.lastAdvanceAt == 102)
        #expect(rx.advanced(after: 101))
        #expect(!rx.advanced(after: 101.5), "growth between 101 and 102 may predate 101.5")
        rx.note(rxBytes: 92, lastHandshake: 105, at: 106)
        #expect(rx.lastAdvanceAt == 105, "a handshake is data received at its own time")
        rx.note(rxBytes: 10, lastHandshake: 105, at: 107)
        rx.note(rxBytes: 40, lastHandshake: 105, at: 108)
        #expect(rx.lastAdvanceAt == 108, "a counter reset starts over from the new value")
    }

    @Test func restoreClockSplitsPhases() throws {
        var clock = RestoreClock()
        #expect(clock.recovered(at: 5) == nil, "nothing to time without a signal")
        clock.pathFailed("ping", at: 100, lastGood: 97)
        clock.pathFailed("rx-stall", at: 101, lastGood: 100)   // joins, does not restart
        clock.discovered(at: 100.2)
        clock.published(at: 100.5)
        clock.remoteRead(at: 100.6)
        clock.configured(at: 100.7)
        clock.discovered(at: 102)                             // a later poll round: first one counts
        clock.remoteRead(at: 103)                             // the last read counts
        let finished = clock.recovered(at: 103.5)
        let timing = try #require(finished)
        #expect(timing.signal == "ping")
        #expect(timing.startedAt == 100)
        #expect(abs(timing.total - 3.5) < 1e-9)
        #expect(timing.detect == 3)
        #expect(abs(timing.discover! - 0.2) < 1e-9)
        #expect(abs(timing.publish! - 0.3) < 1e-9)
        #expect(abs(timing.awaitRemote! - 2.5) < 1e-9)
        #expect(abs(timing.handshake! - 0.5) < 1e-9)
        #expect(!clock.inProgress)
    }

    @Test func restoreWithoutPublishHasNoPublishPhase() throws {
        var clock = RestoreClock()
        clock.pathFailed("manual", at: 10, lastGood: nil)
        clock.discovered(at: 10.1)
        clock.remoteRead(at: 10.3)
        clock.configured(at: 10.4)
        let finished = clock.recovered(at: 11)
        let timing = try #require(finished)
        #expect(timing.detect == nil)
        #expect(timing.publish == nil)
        #expect(abs(timing.awaitRemote! - 0.2) < 1e-9)
        #expect(abs(timing.handshake! - 0.6) < 1e-9)
    }

    @Test(arguments: [
        // endpoint, record, written, initial, handshake → origin
        ("203.0.113.20:35436", "203.0.113.20:35436", nil, nil, 0.0, EndpointOrigin.record),
        ("203.0.113.20:35436", nil, "203.0.113.20:35436", nil, 5.0, .record),
        ("203.0.113.20:40000", "203.0.113.20:35436", "203.0.113.20:35436", nil, 5.0, .roaming),
        ("198.51.100.1:51820", nil, nil, "198.51.100.1:51820", 5.0, .config),
        ("198.51.100.1:51820", "203.0.113.20:35436", "203.0.113.20:35436", "198.51.100.1:51820", 5.0, .roaming),
        ("198.51.100.1:51820", nil, nil, nil, 0.0, .unknown),
    ] as [(String, String?, String?, String?, Double, EndpointOrigin)])
    func endpointOrigins(endpoint: String, record: String?, written: String?, initial: String?, handshake: Double,
                         origin: EndpointOrigin) {
        #expect(EndpointOrigin.derive(endpoint: Endpoint(endpoint)!, recordEndpoint: record.flatMap(Endpoint.init),
                                      writtenEndpoint: written.flatMap(Endpoint.init),
                                      initialEndpoint: initial.flatMap(Endpoint.init), lastHandshake: handshake) == origin)
    }

    @Test func historyFollowsTransitionsEndpointsAndRestores() throws {
        var h = PeerHistory(now: 0)
        h.record(.start, from: .idle, to: .discovering, at: 1)
        #expect(h.stateSince == 1)
        #expect(h.lastTransition?.reason == "started")
        h.observe(endpoint: nil, rxBytes: 0, lastHandshake: 0, at: 1.5)
        h.record(.discovered(PublicEndpoints(mine)), from: .discovering, to: .publishing, at: 2)
        h.record(.published, from: .publishing, to: .awaitingRemote, at: 3)
        h.record(.remoteEndpoint(theirs, context()), from: .awaitingRemote, to: .configuring(theirs), at: 4)
        h.record(.configured, from: .configuring(theirs), to: .monitoring, at: 5)
        #expect(h.written?.endpoint == theirs)
        #expect(h.lastTransition == .init(from: .configuring(theirs), to: .monitoring, reason: "endpoint set", at: 5))
        h.observe(endpoint: theirs, rxBytes: 148, lastHandshake: 5.5, at: 6)
        #expect(h.currentEndpoint?.origin == .record)
        #expect(h.trafficAfterWrite(since: 0))
        #expect(!h.trafficAfterWrite(since: 5.1), "the write must belong to the repair")

        h.observe(endpoint: roamed, rxBytes: 300, lastHandshake: 5.5, at: 20)
        #expect(h.currentEndpoint == .init(endpoint: roamed, origin: .roaming, since: 20))
        #expect(h.previousEndpoint?.endpoint == theirs)
        #expect(h.previousEndpoint?.origin == .record)

        h.record(.pathFailed(.unanswered), from: .monitoring, to: .discovering, at: 30)
        h.record(.pathFailed(.network("link wan down")), from: .discovering, to: .discovering, at: 30.1)
        #expect(h.stateSince == 30, "no state change, no new since")
        #expect(h.probeFailures == ["unanswered": 1, "network": 1])
        h.record(.discovered(PublicEndpoints(mine)), from: .discovering, to: .awaitingRemote, at: 30.5)
        h.record(.remoteEndpoint(roamed, context()), from: .awaitingRemote, to: .configuring(roamed), at: 31)
        h.record(.configured, from: .configuring(roamed), to: .waitingToRetry(.discover), at: 31.2)
        h.record(.pathRecovered, from: .waitingToRetry(.discover), to: .monitoring, at: 32)
        let restore = try #require(h.lastRestore)
        #expect(restore.signal == "unanswered")
        #expect(restore.total == 2)
        #expect(restore.detect == 10, "rx last grew by 20, the signal came at 30")
        #expect(h.restores.count == 1)
        #expect(h.restores.cumulativeCounts == [0, 0, 1, 1, 1, 1, 1])
    }

    @Test func mappingsAreKeptPerServer() {
        var h = PeerHistory(now: 0)
        let s1 = Endpoint("203.0.113.1:3478")!, s2 = Endpoint("203.0.113.2:3478")!
        h.noteMapping(StunMapping(mapped: mine, server: s1, local: Endpoint("10.0.1.2:51820")!, rtt: 0.01), at: 1)
        h.noteMapping(StunMapping(mapped: mine, server: s2, local: Endpoint("10.0.1.2:51820")!, rtt: 0.02), at: 2)
        h.noteMapping(StunMapping(mapped: roamed, server: s1, local: Endpoint("10.0.1.2:51820")!, rtt: 0.03), at: 3)
        #expect(h.mappings.map(\.server) == [s1, s2])
        #expect(h.mappings[0].mapped == roamed)
        #expect(h.mappings[0].at == 3)
    }

    @Test func histogramIsCumulative() {
        var histogram = RestoreHistogram()
        for seconds in [0.2, 0.5, 0.7, 3, 45, 120] { histogram.observe(seconds) }
        #expect(histogram.cumulativeCounts == [2, 3, 3, 4, 4, 4, 5])
        #expect(histogram.count == 6)
        #expect(abs(histogram.sum - 169.4) < 1e-9)
    }

    @Test func storeAccountCountsCallsLatencyAndWindow() {
        var account = StoreAccount()
        account.started(.get, at: 0)
        account.ended(.get, latency: 0.1, error: nil, at: 0.1)
        account.started(.set, at: 200)
        account.ended(.set, latency: 0.5, error: "HTTP 429", at: 200.5)
        account.started(.get, at: 400)
        #expect(account.get.calls == 2 && account.set.calls == 1 && account.calls == 3)
        #expect(account.get.failures == 0 && account.set.failures == 1)
        #expect(account.get.ended == 1 && account.get.meanLatency == 0.1 && account.set.latencyMax == 0.5)
        #expect(account.lastSuccess == 0.1)
        #expect(account.lastError == "HTTP 429" && account.lastErrorAt == 200.5 && account.consecutiveFailures == 1)
        #expect(account.callsInWindow(before: 400) == 2)
        #expect(account.callsInWindow(before: 1000) == 0)
        account.failed("no answer", at: 401)
        #expect(account.consecutiveFailures == 2 && account.calls == 3, "a failure without a call counts no call")
        account.ended(.get, latency: .nan, error: nil, at: 402)
        #expect(account.consecutiveFailures == 0 && account.get.latencyMax == 0.1, "a success ends the run; NaN is no latency")
    }

    @Test func storeTotalsAddThePeersAccounts() {
        var a = StoreAccount(), b = StoreAccount()
        a.started(.get, at: 10)
        a.ended(.get, latency: 0.2, error: "x", at: 10.2)
        b.started(.get, at: 20)
        b.ended(.get, latency: 0.4, error: nil, at: 20.4)
        b.wrote(at: 20.4)
        a.add(b)
        #expect(a.get.calls == 2 && a.get.failures == 1 && a.get.latencyMax == 0.4)
        #expect(a.lastSuccess == 20.4 && a.lastError == "x" && a.writes == 1)
        #expect(a.callsInWindow(before: 30) == 2)
    }
}
