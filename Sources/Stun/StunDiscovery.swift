import EventLoop
import SystemCalls

/// Finds WireGuard's public endpoint: sends STUN Binding requests from WireGuard's listen port
/// (through `StunRawSocket`, so the NAT mapping found is WireGuard's own) to each server in
/// turn, retransmitting per `StunRetransmitPolicy`, and reports the first mapping or why
/// there is none. IPv4 only. Runs on one `EventLoop`; `completion` is called once, on the
/// loop, never from inside `start()`, and never after `cancel()`.
public final class StunDiscovery {
    private let loop: EventLoop
    private let localPort: UInt16
    private let fwmark: UInt32
    private let servers: [String]
    private let policy: StunRetransmitPolicy
    private let software: String?
    private let completion: (Result<StunMapping, StunDiscoveryError>) -> Void

    /// The transaction with the current server.
    private struct Attempt {
        var serverText: String
        var server: Endpoint
        var source: IPAddress
        var transactionID: StunTransactionID
        var request: [UInt8]
        var transmissions = 0
        var anySent = false
    }

    private var socket: StunRawSocket?
    private var readWatcher: IOWatcher?
    private var retransmitTimer: TimerWatcher?
    private var nextServerIndex = 0
    private var current: Attempt?
    /// Every transaction sent so far, so a late reply from a server given up on still counts:
    /// the server it went to and when it was last transmitted.
    private var sent: [StunTransactionID: (server: Endpoint, lastSentAt: Double)] = [:]
    private var started = false
    private var finished = false
    private var timedOutServers: [String] = []
    private var lastErrorResponse: StunErrorCode?
    private var lastSendError: Errno?
    private var lastResolveFailure: StunDiscoveryError?

    /// A discovery for WireGuard listening on `localPort` (never bound here), sending with
    /// SO_MARK `fwmark` when non-zero, asking `servers` ("host:port") in order.
    public init(loop: EventLoop, localPort: UInt16, fwmark: UInt32, servers: [String],
                policy: StunRetransmitPolicy = .default, software: String? = "stunmeshd",
                completion: @escaping (Result<StunMapping, StunDiscoveryError>) -> Void) {
        self.loop = loop
        self.localPort = localPort
        self.fwmark = fwmark
        self.servers = servers
        self.policy = policy
        self.software = software
        self.completion = completion
    }

    deinit { tearDown() }

    /// Starts on the next loop iteration. Calling it again does nothing.
    public func start() {
        guard !started else { return }
        started = true
        loop.soon { [weak self] in self?.begin() }
    }

    /// Stops everything; the completion will not be called.
    public func cancel() {
        guard !finished else { return }
        finished = true
        tearDown()
    }

    private func begin() {
        guard !finished else { return }
        guard !servers.isEmpty else { return finish(.failure(.noServers)) }
        let socket: StunRawSocket
        do {
            socket = try StunRawSocket(localPort: localPort, fwmark: fwmark)
        } catch {
            return finish(.failure(.socket(error)))
        }
        self.socket = socket
        let watcher = IOWatcher(loop: loop, fd: socket.fd, events: .read) { [weak self] _ in self?.readReplies() }
        watcher.start()
        readWatcher = watcher
        retransmitTimer = TimerWatcher(loop: loop) { [weak self] in self?.retransmitTimerFired() }
        startNextServer()
    }

    /// Moves to the next server that resolves and has a route, and sends to it; finishes when
    /// none is left.
    private func startNextServer() {
        current = nil
        guard let socket else { return }
        while nextServerIndex < servers.count {
            let text = servers[nextServerIndex]
            nextServerIndex += 1
            let server: Endpoint
            let source: IPAddress
            do {
                server = try StunServerAddress.resolveIPv4(text)
            } catch {
                lastResolveFailure = error
                continue
            }
            do {
                source = try socket.sourceAddress(toward: server)
            } catch {
                lastSendError = error
                continue
            }
            let transactionID = StunTransactionID()
            let request = StunMessage.bindingRequest(transactionID: transactionID, software: software)
            current = Attempt(serverText: text, server: server, source: source, transactionID: transactionID,
                              request: request)
            transmit()
            return
        }
        finish(.failure(finalError()))
    }

    /// Sends the current request once more and arms the timer. A failed send counts as a lost
    /// transmission: the retransmission schedule goes on.
    private func transmit() {
        guard var attempt = current, let socket else { return }
        loop.updateNow()
        attempt.transmissions += 1
        do {
            try socket.send(attempt.request, from: attempt.source, to: attempt.server)
            attempt.anySent = true
        } catch {
            lastSendError = error
        }
        sent[attempt.transactionID] = (attempt.server, loop.now)
        current = attempt
        retransmitTimer?.start(after: policy.wait(afterTransmission: attempt.transmissions))
    }

    private func retransmitTimerFired() {
        guard let attempt = current, !finished else { return }
        if attempt.transmissions < max(1, policy.attempts) {
            transmit()
        } else {
            if attempt.anySent { timedOutServers.append(attempt.serverText) }
            startNextServer()
        }
    }

    /// Reads every queued packet; anything that is not a Binding response to one of our
    /// transactions is ignored.
    private func readReplies() {
        while !finished, let socket {
            let packet: [UInt8]?
            do {
                packet = try socket.receive()
            } catch {
                return
            }
            guard let packet else { return }
            guard let udp = ReceivedUDPPacket(ipv4Packet: packet), udp.destination.port == localPort,
                  let message = try? StunMessage(parsing: udp.payload),
                  let transaction = sent[message.transactionID],
                  let response = try? StunBindingResponse(message) else { continue }
            switch response {
            case .mapped(let mapped):
                let rtt = max(0, loop.now - transaction.lastSentAt)
                finish(.success(StunMapping(mapped: mapped, server: transaction.server, rtt: rtt)))
            case .error(let code):
                lastErrorResponse = code
                sent[message.transactionID] = nil
                if message.transactionID == current?.transactionID {
                    retransmitTimer?.stop()
                    startNextServer()
                }
            }
        }
    }

    /// The most telling failure: a server's error answer, else the servers that stayed
    /// silent, else why nothing could be sent, else why nothing resolved.
    private func finalError() -> StunDiscoveryError {
        if let code = lastErrorResponse { return .errorResponse(code: code.code, reason: code.reason) }
        if !timedOutServers.isEmpty { return .timedOut(servers: timedOutServers) }
        if let errno = lastSendError { return .socket(errno) }
        return lastResolveFailure ?? .timedOut(servers: [])
    }

    private func finish(_ result: Result<StunMapping, StunDiscoveryError>) {
        guard !finished else { return }
        finished = true
        tearDown()
        withExtendedLifetime(self) { completion(result) }
    }

    /// Stops the watchers before the socket closes (libev must not watch a closed fd).
    private func tearDown() {
        readWatcher?.stop()
        retransmitTimer?.stop()
        socket = nil
        current = nil
    }
}
