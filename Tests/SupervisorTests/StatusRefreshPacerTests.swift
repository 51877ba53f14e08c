@testable import Supervisor
import Testing

/// The status file: every 10 s while it is cheap, within 0.1 % of a core on a hub, never older
/// than a minute.
@Suite struct StatusRefreshPacerTests {
    @Test func aSmallDaemonWritesEveryTenSeconds() {
        var pacer = StatusRefreshPacer()
        #expect(pacer.interval == 10)
        pacer.noteWrite(seconds: 0.0004)   // 0.4 ms: ten peers
        #expect(pacer.interval == 10)
    }

    @Test func aHubWritesWithinTheBudgetAndAtLeastEveryMinute() {
        var pacer = StatusRefreshPacer()
        pacer.noteWrite(seconds: 0.035)    // 35 ms: 1,000 peers
        #expect(abs(pacer.interval - 35) < 1e-9, "35 ms at 0.1 % of a core: every 35 s")
        for _ in 0..<50 { pacer.noteWrite(seconds: 0.5) }
        #expect(pacer.interval == 60, "never older than a minute")
        pacer.noteWrite(seconds: -1)
        pacer.noteWrite(seconds: .infinity)
        #expect(pacer.interval == 60, "nonsense durations are ignored")
    }

    /// The status command's staleness rule follows the interval the file states.
    @Test func theFileSaysItsIntervalAndIsNotStaleWithinThreeOfThem() {
        let text = #"{"stunmeshd":{"pid":1,"written_at":1000,"refresh_s":60}}"#
        guard case .running = StatusCommand.judge(text, path: "s", now: 1170, isAlive: { _ in true }) else {
            Issue.record("a 60 s refresh written 170 s ago is not stale")
            return
        }
        guard case .notRunning = StatusCommand.judge(text, path: "s", now: 1181, isAlive: { _ in true }) else {
            Issue.record("written 181 s ago with a 60 s refresh: stale")
            return
        }
    }
}
