import Supervisor
import SystemCalls
import Testing

/// Transition-by-transition tests of the per-peer state machine: no sockets, no time.
@Suite struct PeerStateMachineTests {
    let mine = Endpoint("203.0.113.10:35436")!
    let theirs = Endpoint("203.0.113.20:35436")!

    func machine() -> PeerStateMachine { PeerStateMachine(refreshInterval: 600, retryBase: 1, retryCap: 60) }

    /// Drives a machine from idle to monitoring with `theirs` configured.
    func monitoring() -> PeerStateMachine {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        _ = m.handle(.remoteEndpoint(theirs))
        _ = m.handle(.configured)
        return m
    }

    func withoutLogs(_ actions: [PeerStateMachine.Action]) -> [PeerStateMachine.Action] {
        actions.filter { if case .log = $0 { return false } else { return true } }
    }

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
    }

    @Test func remoteEndpointIsConfiguredThenMonitored() {
        var m = machine()
        _ = m.handle(.start)
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs))) == [.setEndpoint(theirs)])
        #expect(m.state == .configuring(theirs))
        #expect(m.handle(.configured) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.state == .monitoring)
        #expect(m.configuredEndpoint == theirs)
    }

    @Test func refreshStartsOverAndAnUnchangedEndpointIsNotRewritten() {
        var m = monitoring()
        #expect(withoutLogs(m.handle(.timerFired(.refresh))) == [.discover])
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        #expect(withoutLogs(m.handle(.remoteEndpoint(theirs))) == [.cancelTimer(.retry), .armTimer(.refresh, seconds: 600)])
        #expect(m.state == .monitoring)
    }

    @Test func aChangedRemoteEndpointIsConfigured() {
        var m = monitoring()
        _ = m.handle(.timerFired(.refresh))
        _ = m.handle(.discovered(mine))
        _ = m.handle(.published)
        let moved = Endpoint("203.0.113.20:40000")!
        #expect(withoutLogs(m.handle(.remoteEndpoint(moved))) == [.setEndpoint(moved)])
    }

    @Test func failuresBackOffExponentiallyUpToTheCap() {
        var m = machine()
        _ = m.handle(.start)
        var delays: [Double] = []
        for _ in 0..<8 {
            for action in m.handle(.discoveryFailed("timeout")) {
                if case .armTimer(.retry, let s) = action { delays.append(s) }
            }
            #expect(m.state == .waitingToRetry(.discover))
            #expect(m.handle(.timerFired(.retry)) == [.discover])
        }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60])
    }

    @Test func backoffNeverExceedsTheRefreshInterval() {
        var m = PeerStateMachine(refreshInterval: 5, retryBase: 1, retryCap: 60)
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

    @Test(arguments: [PeerStateMachine.Event.remoteMissing, .remoteRejected("forged"), .remoteReadFailed("io")])
    func anUnusableRemoteRecordIsRetriedAndWireGuardUntouched(_ event: PeerStateMachine.Event) {
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
        _ = m.handle(.remoteEndpoint(theirs))
        #expect(withoutLogs(m.handle(.configureFailed("no such peer"))) == [.armTimer(.retry, seconds: 1)])
        #expect(m.state == .waitingToRetry(.configure))
        #expect(m.handle(.timerFired(.retry)) == [.readRemote])
        #expect(m.configuredEndpoint == nil)
    }

    @Test func stopCancelsTimersAndIgnoresLateCompletions() {
        var m = monitoring()
        #expect(m.handle(.stop) == [.cancelTimer(.retry), .cancelTimer(.refresh)])
        #expect(m.state == .stopped)
        #expect(m.handle(.discovered(mine)) == [])
        #expect(m.handle(.timerFired(.refresh)) == [])
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
