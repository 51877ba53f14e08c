@testable import Supervisor
import Testing

/// Peers whose partners were seen before start first, each group in config order.
@Suite struct StartOrderTests {
    @Test func partnersSeenBeforeGoFirstInTheirOrder() {
        let peers = ["p1", "live2", "p3", "live4", "p5"]
        #expect(StartOrder.arrange(peers) { $0.hasPrefix("live") } == ["live2", "live4", "p1", "p3", "p5"])
        #expect(StartOrder.arrange(peers) { _ in false } == peers)
        #expect(StartOrder.arrange(peers) { _ in true } == peers)
        #expect(StartOrder.arrange([String]()) { _ in true }.isEmpty)
    }

    /// The others start once every peer of the first group has asked for its partner's record (or
    /// given up for now), or after 5 s.
    @Test func theOthersWaitUntilTheFirstGroupHasAskedForItsRecords() {
        #expect(!StartOrder.restMayStart(firstGroup: [.awaitingRemote, .publishing], heldFor: 1))
        #expect(!StartOrder.restMayStart(firstGroup: [.discovering], heldFor: 4.9))
        #expect(!StartOrder.restMayStart(firstGroup: [.idle], heldFor: 0))
        #expect(StartOrder.restMayStart(firstGroup: [.awaitingRemote, .monitoring, .waitingToRetry(.publish)], heldFor: 0.1))
        #expect(StartOrder.restMayStart(firstGroup: [.publishing], heldFor: 5), "never held longer than 5 s")
    }
}
