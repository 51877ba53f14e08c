@testable import Supervisor
import Testing

/// Reading WireGuard fast while traffic moves, within a CPU budget that grows with the peers.
@Suite struct DevicePollPacerTests {
    @Test func aSmallDeviceIsReadAtTheConfiguredPace() {
        var pacer = DevicePollPacer()
        #expect(pacer.interval(active: false, idle: 1, active: 0.1) == 1)
        #expect(pacer.interval(active: true, idle: 1, active: 0.1) == 0.1)
        pacer.noteRead(seconds: 0.00005)   // 50 µs: ten peers
        #expect(pacer.interval(active: true, idle: 1, active: 0.1) == 0.1)
        #expect(pacer.interval(active: true, idle: 0.05, active: 0.1) == 0.05, "a poll_interval below 0.1 s stays")
    }

    @Test func aLargeDeviceIsReadNoMoreThanTheBudgetAllows() {
        var pacer = DevicePollPacer()
        pacer.noteRead(seconds: 0.004)     // 4 ms: a 1,000-peer dump and its peers' judges
        #expect(abs(pacer.interval(active: true, idle: 1, active: 0.1) - 0.8) < 1e-9, "4 ms at 0.5 % of a core: every 0.8 s")
        #expect(pacer.interval(active: false, idle: 1, active: 0.1) == 1)
        pacer.noteRead(seconds: 0.020)     // one slow read moves the estimate, not all the way
        #expect(abs((pacer.readCost ?? 0) - 0.0072) < 1e-9)
        pacer.noteRead(seconds: .nan)
        #expect(abs((pacer.readCost ?? 0) - 0.0072) < 1e-9, "a nonsense duration is ignored")
    }

    /// A packet into an idle tunnel wakes the reads (TunnelTap): 20 ms later on a small router,
    /// no sooner than the budget allows on a hub, never later than the idle read already due.
    @Test func trafficIntoAnIdleTunnelIsReadSoonWithinTheBudget() {
        #expect(DevicePollPacer.wakesOnTraffic(active: false))
        #expect(!DevicePollPacer.wakesOnTraffic(active: true), "an active peer's reads are fast already")
        var pacer = DevicePollPacer()
        #expect(pacer.intervalAfterTunnelPacket(idleDueIn: 0.9) == 0.02)
        #expect(pacer.intervalAfterTunnelPacket(idleDueIn: 0.01) == 0.01, "the idle read comes first")
        pacer.noteRead(seconds: 0.00005)
        #expect(pacer.intervalAfterTunnelPacket(idleDueIn: 0.9) == 0.02)
        var hub = DevicePollPacer()
        hub.noteRead(seconds: 0.004)        // a 1,000-peer dump: the budget's pace is 0.8 s
        #expect(abs(hub.intervalAfterTunnelPacket(idleDueIn: 0.9) - 0.8) < 1e-9)
        #expect(hub.intervalAfterTunnelPacket(idleDueIn: 0.3) == 0.3)
        #expect(hub.intervalAfterTunnelPacket(idleDueIn: -1) == 0)
    }
}
