import EventLoop
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// Pinger against the real kernel: loopback of this namespace, and test namespaces for a
/// silent target and for hand-made replies. Needs root (raw sockets, namespaces).
@Suite(.serialized) struct PingerTests {
    typealias Outcome = Result<Double, PingFailure>
    let localhost = IPAddress("127.0.0.1")!

    /// Runs `loop` until `done()` or `timeout` seconds; returns the seconds it ran.
    @discardableResult
    func drive(_ loop: EventLoop, timeout: Double = 5, until done: () -> Bool = { false }) -> Double {
        let start = StoreFixture.now()
        StoreFixture.drive(loop, timeout: timeout, until: done)
        return StoreFixture.now() - start
    }

    @Test func pingsIPv4LoopbackBoundToLo() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        var outcomes: [Outcome] = []
        pinger.ping(localhost, timeout: 2) { outcomes.append($0) }
        #expect(outcomes.isEmpty, "completion must not run inside ping")
        drive(loop) { !outcomes.isEmpty }
        drive(loop, timeout: 0.05)
        #expect(outcomes.count == 1)
        let rtt = try #require(try outcomes.first?.get())
        #expect(rtt >= 0 && rtt < 0.5)
    }

    @Test func pingsIPv6LoopbackBoundToLo() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET6)
        var outcome: Outcome?
        pinger.ping(IPAddress("::1")!, timeout: 2) { outcome = $0 }
        drive(loop) { outcome != nil }
        let rtt = try #require(try outcome?.get())
        #expect(rtt >= 0 && rtt < 0.5)
    }

    @Test func aSilentTargetTimesOutWithinTheBound() throws {
        // No dummy driver here: a veth pair stands in, with a permanent neighbour entry for
        // the missing 10.201.0.2 so requests leave v0 at once and v1 drops them (not its MAC).
        let namespace = try PingTestNamespace()
        defer { namespace.delete() }
        try namespace.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
        try namespace.ip("link", "set", "v0", "up")
        try namespace.ip("link", "set", "v1", "up")
        try namespace.ip("addr", "add", "10.201.0.1/24", "dev", "v0")
        try namespace.ip("neigh", "add", "10.201.0.2", "lladdr", "02:00:00:00:02:02", "dev", "v0", "nud", "permanent")
        let loop = EventLoop()
        let pinger = try namespace.inside { () throws(PingFailure) in try Pinger(loop: loop, interface: "v0", family: AF_INET) }
        var outcomes: [Outcome] = []
        pinger.ping(IPAddress("10.201.0.2")!, timeout: 0.3) { outcomes.append($0) }
        let seconds = drive(loop) { !outcomes.isEmpty }
        #expect(outcomes.count == 1)
        #expect(outcomes.first == .failure(.timedOut))
        #expect(seconds >= 0.29 && seconds < 1.0, "took \(seconds) s")
    }

    @Test func concurrentPingsToDifferentTargetsEachGetTheirOwnReply() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        let targets = (1...3).map { IPAddress.v4(127, 0, 0, UInt8($0)) }
        var outcomes: [IPAddress: [Outcome]] = [:]
        for target in targets { pinger.ping(target, timeout: 2) { outcomes[target, default: []].append($0) } }
        drive(loop) { outcomes.count == targets.count }
        drive(loop, timeout: 0.05)
        for target in targets {
            #expect(outcomes[target]?.count == 1, "\(target)")
            #expect((try? outcomes[target]?.first?.get()) != nil, "\(target)")
        }
    }

    @Test func repliesAreMatchedByTargetAndSequence() throws {
        let namespace = try PingTestNamespace()
        defer { namespace.delete() }
        try PingTestPeer.prepare(namespace)
        let loop = EventLoop()
        let peerA = IPAddress("127.0.0.2")!, peerB = IPAddress("127.0.0.3")!
        let (pinger, peer) = try namespace.inside {
            (try Pinger(loop: loop, interface: "lo", family: AF_INET), try PingTestPeer(sources: [peerA, peerB]))
        }
        var outcomes: [IPAddress: [Outcome]] = [:]
        pinger.ping(peerA, timeout: 3) { outcomes[peerA, default: []].append($0) }
        let requestA = try peer.nextRequest(to: peerA)
        pinger.ping(peerB, timeout: 3) { outcomes[peerB, default: []].append($0) }
        let requestB = try peer.nextRequest(to: peerB)
        #expect(requestA.identifier == requestB.identifier)
        #expect(requestA.sequence != requestB.sequence)

        // B answers with A's sequence, A with B's: neither counts.
        try peer.send(PingTestPeer.reply(requestA), from: peerB)
        try peer.send(PingTestPeer.reply(requestB), from: peerA)
        drive(loop, timeout: 0.2)
        #expect(outcomes.isEmpty)
        // B answers its own request: only B is settled.
        try peer.send(PingTestPeer.reply(requestB), from: peerB)
        drive(loop) { outcomes[peerB] != nil }
        #expect(outcomes[peerA] == nil)
        #expect(outcomes[peerB]?.count == 1 && (try? outcomes[peerB]?.first?.get()) != nil)
        // Then A; and B's duplicate reply is ignored.
        try peer.send(PingTestPeer.reply(requestA), from: peerA)
        try peer.send(PingTestPeer.reply(requestB), from: peerB)
        drive(loop) { outcomes[peerA] != nil }
        drive(loop, timeout: 0.05)
        #expect(outcomes[peerA]?.count == 1 && (try? outcomes[peerA]?.first?.get()) != nil)
        #expect(outcomes[peerB]?.count == 1)
    }

    /// A reply after the timeout (a path that got slower) still reaches `lateAnswer` with its
    /// round trip, once, within `lateWindow`; the completion has already said timed out.
    @Test func aLateAnswerIsReportedWithItsRoundTrip() throws {
        let namespace = try PingTestNamespace()
        defer { namespace.delete() }
        try PingTestPeer.prepare(namespace)
        let loop = EventLoop()
        let target = IPAddress("127.0.0.2")!
        let (pinger, peer) = try namespace.inside {
            (try Pinger(loop: loop, interface: "lo", family: AF_INET), try PingTestPeer(sources: [target]))
        }
        var outcomes: [Outcome] = []
        var late: [Double] = []
        pinger.ping(target, timeout: 0.1, lateAnswer: { late.append($0) }) { outcomes.append($0) }
        let request = try peer.nextRequest(to: target)
        drive(loop) { !outcomes.isEmpty }
        #expect(outcomes == [.failure(.timedOut)] && late.isEmpty)
        drive(loop, timeout: 0.2)
        try peer.send(PingTestPeer.reply(request), from: target)
        try peer.send(PingTestPeer.reply(request), from: target)
        drive(loop) { !late.isEmpty }
        drive(loop, timeout: 0.05)
        #expect(late.count == 1, "once: \(late)")
        #expect((late.first ?? 0) >= 0.25 && (late.first ?? 9) < 2, "\(late)")
        #expect(outcomes.count == 1)
    }

    @Test func malformedAndForeignRepliesAreIgnored() throws {
        let namespace = try PingTestNamespace()
        defer { namespace.delete() }
        try PingTestPeer.prepare(namespace)
        let loop = EventLoop()
        let target = IPAddress("127.0.0.2")!, other = IPAddress("127.0.0.1")!
        let (pinger, peer) = try namespace.inside {
            (try Pinger(loop: loop, interface: "lo", family: AF_INET), try PingTestPeer(sources: [target, other]))
        }
        var outcomes: [Outcome] = []
        pinger.ping(target, timeout: 3) { outcomes.append($0) }
        let request = try peer.nextRequest(to: target)
        let good = PingTestPeer.reply(request)
        let junk: [[UInt8]] = [
            Array(good[0..<2]),                                     // type and code only
            Array(good[0..<4]),                                     // shorter than an ICMP header
            Array(good[0..<7]),
            PingTestPeer.reply(request, corruptChecksum: true),     // checksum does not verify
            PingTestPeer.reply(ICMPEcho(identifier: request.identifier &+ 1, sequence: request.sequence)),
            PingTestPeer.reply(ICMPEcho(identifier: request.identifier, sequence: request.sequence &+ 1)),
            [3, 1] + Array(good[2...]),                             // host unreachable, not a reply
        ]
        for message in junk { try peer.send(message, from: target) }
        try peer.send(good, from: other)                            // right reply, wrong source
        drive(loop, timeout: 0.3)
        #expect(outcomes.isEmpty)
        try peer.send(good, from: target)
        drive(loop) { !outcomes.isEmpty }
        #expect(outcomes.count == 1)
        #expect((try? outcomes.first?.get()) != nil)
    }

    @Test func aCancelledPingNeverCompletes() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        var cancelled: [Outcome] = [], kept: [Outcome] = [], timedOut: [Outcome] = []
        let token = pinger.ping(localhost, timeout: 0.1) { cancelled.append($0) }
        pinger.ping(localhost, timeout: 2) { kept.append($0) }
        pinger.cancel(token)
        // A ping to an address of the other family fails on the loop, unless cancelled too.
        let failing = pinger.ping(IPAddress("::1")!, timeout: 1) { timedOut.append($0) }
        pinger.cancel(failing)
        drive(loop) { !kept.isEmpty }
        drive(loop, timeout: 0.3)
        #expect(cancelled.isEmpty && timedOut.isEmpty)
        #expect(kept.count == 1)
        pinger.cancel(token)   // settled or unknown tokens are ignored
    }

    @Test func badTargetsAndInterfacesFailCleanly() throws {
        let loop = EventLoop()
        #expect(throws: PingFailure.socket(Errno(ENODEV))) { try Pinger(loop: loop, interface: "nosuchif9", family: AF_INET) }
        #expect(throws: PingFailure.socket(Errno(ENODEV))) { try Pinger(loop: loop, interface: "", family: AF_INET) }
        #expect(throws: PingFailure.socket(Errno(ENODEV))) {
            try Pinger(loop: loop, interface: "lo" + String(repeating: "x", count: 20), family: AF_INET)
        }
        #expect(throws: PingFailure.socket(Errno(EAFNOSUPPORT))) { try Pinger(loop: loop, interface: "lo", family: AF_UNIX) }

        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET6)
        var outcome: Outcome?
        pinger.ping(localhost, timeout: 1) { outcome = $0 }
        #expect(outcome == nil)
        drive(loop) { outcome != nil }
        #expect(outcome == .failure(.socket(Errno(EAFNOSUPPORT))))
    }

    @Test func closeForgetsPingsInFlightAndFailsLaterOnes() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        var inFlight: [Outcome] = [], later: Outcome?
        pinger.ping(localhost, timeout: 0.1) { inFlight.append($0) }
        pinger.close()
        pinger.close()
        pinger.ping(localhost, timeout: 0.1) { later = $0 }
        drive(loop) { later != nil }
        drive(loop, timeout: 0.3)
        #expect(inFlight.isEmpty)
        #expect(later == .failure(.socket(Errno(EBADF))))
    }

    @Test func aCompletionMayCancelAnotherPingThatExpiredWithIt() throws {
        let loop = EventLoop()
        let namespace = try PingTestNamespace()
        defer { namespace.delete() }
        try PingTestPeer.prepare(namespace)
        let pinger = try namespace.inside { () throws(PingFailure) in try Pinger(loop: loop, interface: "lo", family: AF_INET) }
        var first: [Outcome] = [], second: [Outcome] = []
        var secondToken: PingToken?
        pinger.ping(IPAddress("127.0.0.2")!, timeout: 0.1) { first.append($0); pinger.cancel(secondToken!) }
        secondToken = pinger.ping(IPAddress("127.0.0.3")!, timeout: 0.1) { second.append($0) }
        drive(loop) { !first.isEmpty }
        drive(loop, timeout: 0.2)
        #expect(first == [.failure(.timedOut)])
        #expect(second.isEmpty)
    }
}
