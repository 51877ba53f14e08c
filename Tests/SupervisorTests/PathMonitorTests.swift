import Supervisor
import Testing

/// The path judgement rules, on made-up WireGuard samples and ping results.
@Suite struct PathMonitorTests {
    func sample(_ now: Double, rx: UInt64, tx: UInt64, handshake: Double = 100, keepalive: Int = 25) -> PathMonitor.Sample {
        .init(now: now, rxBytes: rx, txBytes: tx, lastHandshake: handshake, keepalive: keepalive)
    }

    @Test func steadyTrafficIsHealthy() {
        var m = PathMonitor(pingIsExplicit: false)
        for t in 0..<100 {
            #expect(m.observe(sample(Double(100 + t), rx: UInt64(t * 32), tx: UInt64(t * 32))) == nil)
        }
        #expect(!m.isFailing)
    }

    @Test func noRxForKeepalivePlusMarginWhileSendingIsAStall() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(100, rx: 1000, tx: 1000))
        // keepalive 25 → limit 25 + 12.5 = 37.5 s
        #expect(m.observe(sample(120, rx: 1000, tx: 1100)) == nil)
        #expect(m.observe(sample(137, rx: 1000, tx: 1200)) == nil)
        #expect(m.observe(sample(138, rx: 1000, tx: 1300)) == .failed(.rxStall))
        #expect(m.observe(sample(139, rx: 1000, tx: 1400)) == nil, "reported once per episode")
        #expect(m.observe(sample(140, rx: 1032, tx: 1400)) == .recovered)
    }

    @Test func silenceWithoutSendingIsNotAStall() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(100, rx: 1000, tx: 1000))
        #expect(m.observe(sample(200, rx: 1000, tx: 1000)) == nil)
    }

    @Test func nothingIsJudgedBeforeTheFirstHandshake() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(100, rx: 0, tx: 148, handshake: 0))
        #expect(m.observe(sample(400, rx: 0, tx: 2000, handshake: 0)) == nil)
    }

    @Test func aStaleHandshakeWhileSendingFails() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(100, rx: 1000, tx: 1000, handshake: 100, keepalive: 0))
        #expect(m.observe(sample(230, rx: 1000, tx: 1100, handshake: 100, keepalive: 0)) == nil)
        #expect(m.observe(sample(236, rx: 1000, tx: 1200, handshake: 100, keepalive: 0)) == .failed(.handshakeStale))
        #expect(m.observe(sample(240, rx: 1000, tx: 1300, handshake: 239, keepalive: 0)) == .recovered)
    }

    @Test func anExplicitPingTargetFailsAtTheFirstLoss() {
        var m = PathMonitor(pingIsExplicit: true)
        #expect(m.observePing(answered: false) == .failed(.ping))
        #expect(m.observePing(answered: false) == nil)
        #expect(m.observePing(answered: true) == .recovered)
    }

    @Test func anAutomaticPingTargetCountsOnlyAfterItOnceAnswered() {
        var m = PathMonitor(pingIsExplicit: false)
        #expect(m.observePing(answered: false) == nil, "a peer that never answers ICMP is not a broken path")
        #expect(m.observePing(answered: true) == nil)
        #expect(m.observePing(answered: false) == .failed(.ping))
    }

    @Test func recoveryNeedsEveryFailingProbe() {
        var m = PathMonitor(pingIsExplicit: true)
        _ = m.observe(sample(100, rx: 1000, tx: 1000))
        #expect(m.observe(sample(140, rx: 1000, tx: 2000)) == .failed(.rxStall))
        #expect(m.observePing(answered: false) == nil)
        // rx moves (a keepalive got through) but pings still fail: still failing.
        #expect(m.observe(sample(141, rx: 1032, tx: 2000)) == nil)
        #expect(m.observePing(answered: true) == .recovered)
    }

    @Test func theStallLimitScalesWithKeepalive() {
        #expect(PathMonitor.stallLimit(keepalive: 5) == 10)
        #expect(PathMonitor.stallLimit(keepalive: 25) == 37.5)
    }
}
