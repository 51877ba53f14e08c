@testable import Probes
import SystemCalls
import Testing

/// PendingPings: which reply settles which request, and which requests have expired.
@Suite struct PingMatchingTests {
    let peerA = IPAddress("10.99.0.2")!
    let peerB = IPAddress("10.99.0.3")!

    func entry(_ serial: UInt64, _ target: IPAddress, deadline: Double, _ log: Log? = nil) -> PendingPings.Entry {
        .init(token: PingToken(serial: serial), target: target, sentAt: 0, deadline: deadline) { _ in log?.serials.append(serial) }
    }

    final class Log { var serials: [UInt64] = [] }

    @Test func aReplyMatchesOnlyByIdentifierSequenceAndSource() {
        var table = PendingPings(identifier: 0x4242)
        table.insert(entry(1, peerA, deadline: 1), sequence: 10)
        table.insert(entry(2, peerB, deadline: 1), sequence: 11)
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4243, sequence: 10), from: peerA) == nil)
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4242, sequence: 12), from: peerA) == nil)
        // Peer B answering with peer A's sequence settles nothing.
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4242, sequence: 10), from: peerB) == nil)
        #expect(table.count == 2)
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4242, sequence: 11), from: peerB)?.token == PingToken(serial: 2))
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4242, sequence: 11), from: peerB) == nil)
        #expect(table.removeMatch(of: ICMPEcho(identifier: 0x4242, sequence: 10), from: peerA)?.token == PingToken(serial: 1))
        #expect(table.count == 0)
    }

    @Test func expiryIsEarliestFirstAndOnlyWhenDue() {
        var table = PendingPings(identifier: 1)
        table.insert(entry(1, peerA, deadline: 5), sequence: 1)
        table.insert(entry(2, peerB, deadline: 3), sequence: 2)
        table.insert(entry(3, peerA, deadline: 9), sequence: 3)
        #expect(table.nextDeadline == 3)
        #expect(table.removeEarliestExpired(now: 2.9) == nil)
        #expect(table.removeEarliestExpired(now: 6)?.token == PingToken(serial: 2))
        #expect(table.removeEarliestExpired(now: 6)?.token == PingToken(serial: 1))
        #expect(table.removeEarliestExpired(now: 6) == nil)
        #expect(table.nextDeadline == 9)
        // A timer firing a hair early for floating-point reasons still expires the request.
        #expect(table.removeEarliestExpired(now: 9 - 1e-9)?.token == PingToken(serial: 3))
        #expect(table.nextDeadline == nil)
    }

    @Test func removalByToken() {
        var table = PendingPings(identifier: 1)
        table.insert(entry(7, peerA, deadline: 1), sequence: 100)
        #expect(table.contains(sequence: 100))
        #expect(table.remove(PingToken(serial: 8)) == nil)
        #expect(table.remove(PingToken(serial: 7))?.target == peerA)
        #expect(!table.contains(sequence: 100))
        table.insert(entry(9, peerA, deadline: 1), sequence: 1)
        table.insert(entry(10, peerA, deadline: 1), sequence: 2)
        #expect(table.removeAll().count == 2)
        #expect(table.count == 0)
    }
}
