import EventLoop
import Glibc
import SystemCalls

/// One ICMP/ICMPv6 echo socket per WireGuard interface and address family, bound to the
/// interface (SO_BINDTODEVICE) so probes go through the tunnel, shared by all peers of that
/// interface; replies are matched to requests by (identifier, sequence) — and by source
/// address — so each peer's probes are answered separately. It is stunmesh-go's `ping` /
/// `ping_monitor` probe: a peer whose tunnel address stops answering gets re-established.
///
/// Runs on one `EventLoop`: completions always run on the loop, never inside `ping`, and never
/// after `cancel`, `close` or the release of the pinger.
public final class Pinger {
    /// The interface probes are sent through, e.g. "wg0".
    public let interface: String
    /// AF_INET or AF_INET6: the family of every target.
    public let family: Int32
    /// Carried by every request; random, so that other pingers' replies are told apart.
    let identifier: UInt16

    private let loop: EventLoop
    private var socket: PingSocket?
    private var readWatcher: IOWatcher?
    private var timeoutTimer: TimerWatcher?
    private var pending: PendingPings
    /// Pings that timed out but asked to hear of a late answer: kept for `lateWindow` seconds
    /// after they were sent, completing with the round trip if the reply comes.
    private var late: PendingPings
    /// How long after sending a timed-out ping's late answer is still reported.
    public static let lateWindow = 5.0
    /// Pings that failed before anything was sent, told on the next loop iteration.
    private var failing: [PingToken: (failure: PingFailure, completion: (Result<Double, PingFailure>) -> Void)] = [:]
    private var nextSequence: UInt16 = 0
    private var nextSerial: UInt64 = 0
    /// At most this many packets are read per readiness, so a flood cannot starve the loop.
    private static let readsPerWakeup = 64

    /// Opens the raw socket of `family` (AF_INET or AF_INET6) bound to `interface`. Fails with
    /// `.socket`: EAFNOSUPPORT for another family, EPERM without CAP_NET_RAW, ENODEV for no
    /// such interface.
    public init(loop: EventLoop, interface: String, family: Int32) throws(PingFailure) {
        guard family == AF_INET || family == AF_INET6 else { throw .socket(Errno(EAFNOSUPPORT)) }
        let socket: PingSocket
        do { socket = try PingSocket(interface: interface, family: family) } catch { throw .socket(error) }
        self.loop = loop
        self.interface = interface
        self.family = family
        self.socket = socket
        identifier = UInt16.random(in: .min ... .max)
        pending = PendingPings(identifier: identifier)
        late = PendingPings(identifier: identifier)
        let watcher = IOWatcher(loop: loop, fd: socket.fd, events: .read) { [weak self] _ in self?.readReplies() }
        watcher.start()
        readWatcher = watcher
        timeoutTimer = TimerWatcher(loop: loop) { [weak self] in self?.timeoutTimerFired() }
    }

    deinit { close() }

    /// Sends one echo request to `target`; `completion` gets the round-trip time in seconds or
    /// a failure (timeout after `timeout` seconds, clamped to 0…86 400). Completion always runs
    /// on the loop, never inside `ping`. Returns a token usable to cancel. With `lateAnswer`, a
    /// reply that comes after the timeout (within `lateWindow` of sending) is still reported
    /// there with its round trip: a path that got slower shows it (the path monitor's round-trip
    /// estimate would otherwise never learn a delay longer than its own timeout).
    @discardableResult
    public func ping(_ target: IPAddress, timeout: Double, lateAnswer: ((Double) -> Void)? = nil,
                     completion: @escaping (Result<Double, PingFailure>) -> Void) -> PingToken {
        let token = PingToken(serial: nextSerial)
        nextSerial += 1
        guard let socket else {
            fail(token, .socket(Errno(EBADF)), completion)
            return token
        }
        guard target.family == family else {
            fail(token, .socket(Errno(EAFNOSUPPORT)), completion)
            return token
        }
        guard let sequence = freeSequence() else {
            fail(token, .socket(Errno(ENOBUFS)), completion)
            return token
        }
        let echo = ICMPEcho(identifier: identifier, sequence: sequence)
        loop.updateNow()
        do {
            try socket.send(echo.request(family: family), to: target)
        } catch {
            fail(token, Self.failure(sending: error, to: target), completion)
            return token
        }
        let wait = timeout > 0 ? min(timeout, 86_400) : 0
        pending.insert(.init(token: token, target: target, sentAt: loop.now, deadline: loop.now + wait,
                             completion: completion, lateAnswer: lateAnswer), sequence: sequence)
        rearmTimer()
        return token
    }

    /// Forgets the ping named by `token`: its completion will not run. Unknown or settled
    /// tokens are ignored.
    public func cancel(_ token: PingToken) {
        failing[token] = nil
        let removed = pending.remove(token) != nil
        if late.remove(token) != nil || removed { rearmTimer() }
    }

    /// Closes the socket and forgets every ping in flight (their completions will not run).
    /// Later pings fail with `.socket(EBADF)`. Calling it again does nothing.
    public func close() {
        readWatcher?.stop()
        timeoutTimer?.stop()
        readWatcher = nil
        timeoutTimer = nil
        socket = nil
        _ = pending.removeAll()
        _ = late.removeAll()
        failing = [:]
    }

    /// What a failed send means: no route is `.unreachable`, anything else a socket problem.
    static func failure(sending errno: Errno, to target: IPAddress) -> PingFailure {
        switch errno.rawValue {
        case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN: .unreachable("\(target): \(errno)")
        default: .socket(errno)
        }
    }

    /// The next sequence number not in flight; nil if all 65 536 are.
    private func freeSequence() -> UInt16? {
        guard pending.count + late.count <= Int(UInt16.max) else { return nil }
        while pending.contains(sequence: nextSequence) || late.contains(sequence: nextSequence) { nextSequence &+= 1 }
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    /// Tells `completion` about `failure` on the next loop iteration, unless cancelled first.
    private func fail(_ token: PingToken, _ failure: PingFailure,
                      _ completion: @escaping (Result<Double, PingFailure>) -> Void) {
        failing[token] = (failure, completion)
        loop.soon { [weak self] in
            guard let self, let failed = self.failing.removeValue(forKey: token) else { return }
            failed.completion(.failure(failed.failure))
        }
    }

    /// Reads queued packets and completes the pings they answer; every other packet is dropped.
    private func readReplies() {
        var reads = 0
        while reads < Self.readsPerWakeup, let socket {
            reads += 1
            let received: (packet: [UInt8], source: IPAddress?)?
            do { received = try socket.receive() } catch { return }
            guard let received else { return }
            guard let source = received.source,
                  let echo = try? ICMPEcho(reply: received.packet, family: family) else { continue }
            if let entry = pending.removeMatch(of: echo, from: source) {
                rearmTimer()
                entry.completion(.success(max(0, loop.now - entry.sentAt)))
            } else if let entry = late.removeMatch(of: echo, from: source) {
                rearmTimer()
                entry.lateAnswer?(max(0, loop.now - entry.sentAt))
            }
        }
    }

    /// Times out the expired pings, one at a time (a completion may cancel another), after
    /// reading what is queued: libev runs timers before I/O of the same iteration, and a
    /// reply already received is not a timeout.
    private func timeoutTimerFired() {
        readReplies()
        while timeoutTimer != nil, var entry = pending.removeEarliestExpired(now: loop.now) {
            if entry.lateAnswer != nil, let sequence = entry.sequence {
                entry.deadline = entry.sentAt + Self.lateWindow
                late.insert(entry, sequence: sequence)
            }
            entry.completion(.failure(.timedOut))
        }
        // Late answers that did not come: forgotten.
        while timeoutTimer != nil, late.removeEarliestExpired(now: loop.now) != nil {}
        rearmTimer()
    }

    /// Arms the timer for the earliest deadline in flight, or stops it.
    private func rearmTimer() {
        guard let timeoutTimer else { return }
        if let deadline = [pending.nextDeadline, late.nextDeadline].compactMap({ $0 }).min() {
            timeoutTimer.start(after: max(0, deadline - loop.now))
        } else {
            timeoutTimer.stop()
        }
    }
}
