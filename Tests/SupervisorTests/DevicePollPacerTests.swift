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
}
