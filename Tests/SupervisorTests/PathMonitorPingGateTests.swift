import Supervisor
import Testing

/// Pings go into the tunnel only while WireGuard has a session with the peer.
@Suite struct PathMonitorPingGateTests {
    func sample(_ now: Double, handshake: Double) -> PathMonitor.Sample {
        .init(now: now, rxBytes: 0, txBytes: 0, lastHandshake: handshake, keepalive: 25)
    }

    @Test func noPingBeforeAnyReading() {
        let m = PathMonitor(pingIsExplicit: false)
        #expect(!m.mayPing(now: 100))
    }

    @Test func noPingBeforeTheFirstHandshake() {
        // Set-up: the endpoint may not even be set yet; a ping would start a doomed handshake.
        var m = PathMonitor(pingIsExplicit: true)
        _ = m.observe(sample(100, handshake: 0))
        #expect(!m.mayPing(now: 100.5))
    }

    @Test func pingsWhileTheSessionLives() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(100, handshake: 99))
        #expect(m.mayPing(now: 100.5))
        #expect(m.mayPing(now: 99 + 179))
    }

    @Test func noPingOnceTheSessionExpired() {
        var m = PathMonitor(pingIsExplicit: false)
        _ = m.observe(sample(300, handshake: 100))
        #expect(!m.mayPing(now: 300))
        _ = m.observe(sample(301, handshake: 300.5))
        #expect(m.mayPing(now: 301))
    }
}
