import EventLoop
import SystemCalls

/// Finds WireGuard's public endpoint in one address family: sends STUN Binding requests from
/// WireGuard's listen port (through `StunRawSocket`, so the NAT mapping found is WireGuard's
/// own) to every configured server of that family at once, retransmitting per
/// `StunRetransmitPolicy`, and reports every mapping that came back, so that two servers that
/// disagree reveal a symmetric NAT. After the first answer the others get two initial RTOs
/// (one retransmission) more; a silent server never delays the result longer than that.
/// Runs on one `EventLoop`; `completion` is called once, on the loop, never from inside
/// `start()`, and never after `cancel()`.
public final class StunDiscovery {
    private let loop: EventLoop
    private let family: IPFamily
    private let localPort: UInt16
    private let fwmark: UInt32
    private let servers: [String]
    private let policy: StunRetransmitPolicy
    private let software: String?
    private let completion: (Result<StunMappings, StunDiscoveryError>) -> Void

    /// The transaction with one server.
    private struct Transaction {
        var serverText: String
        var server: Endpoint
        var source: IPAddress
        var request: [UInt8]
        var lastSentAt = 0.0
        var anySent = false
        var settled = false
    }

    private var socket: StunRawSocket?
    private var readWatcher: IOWatcher?
    private var retransmitTimer: TimerWatcher?
    private var graceTimer: TimerWatcher?
    /// Every transaction, by ID, and the IDs in server order.
    private var transactions: [StunTransactionID: Transaction] = [:]
    private var order: [StunTransactionID] = []
    /// Transmissions so far; all unsettled transactions are (re)sent together.
    private var transmissions = 0
    private var mappings: [StunMapping] = []
    private var started = false
    private var finished = false
    private var timedOutServers: [String] = []
    private var lastErrorResponse: StunErrorCode?
    private var lastSendError: Errno?
    private var lastResolveFailure: StunDiscoveryError?

    /// A discovery for WireGuard listening on `localPort` (never bound here), sending with
    /// SO_MARK `fwmark` when non-zero, asking the `family` address of each of `servers`
    /// ("host:port", "[v6]:port"); servers without one are skipped.
    public init(loop: EventLoop, family: IPFamily = .ipv4, localPort: UInt16, fwmark: UInt32, servers: [String],
                policy: StunRetransmitPolicy = .default, software: String? = "stunmeshd",
                completion: @escaping (Result<StunMappings, StunDiscoveryError>) -> Void) {
        self.loop = loop
        self.family = family
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
            socket = try StunRawSocket(family: family, localPort: localPort, fwmark: fwmark)
        } catch {
            return finish(.failure(.socket(error)))
        }
        self.socket = socket
        for text in servers { prepare(text, on: socket) }
        guard !order.isEmpty else { return finish(.failure(finalError())) }
        let watcher = IOWatcher(loop: loop, fd: socket.fd, events: .read) { [weak self] _ in self?.readReplies() }
        watcher.start()
        readWatcher = watcher
        retransmitTimer = TimerWatcher(loop: loop) { [weak self] in self?.retransmitTimerFired() }
        graceTimer = TimerWatcher(loop: loop) { [weak self] in self?.finishWithWhatCameBack() }
        transmitAll()
    }

    /// Resolves one server and makes its transaction; a server that does not resolve in this
    /// family, has no route, or repeats an earlier one is left out.
    private func prepare(_ text: String, on socket: StunRawSocket) {
        let server: Endpoint
        let source: IPAddress
        do {
            server = try StunServerAddress.resolve(text, family: family)
        } catch {
            lastResolveFailure = error
            return
        }
        guard !transactions.values.contains(where: { $0.server == server }) else { return }
        do {
            source = try socket.sourceAddress(toward: server)
        } catch {
            lastSendError = error
            return
        }
        let transactionID = StunTransactionID()
        let request = StunMessage.bindingRequest(transactionID: transactionID, software: software)
        transactions[transactionID] = Transaction(serverText: text, server: server, source: source, request: request)
        order.append(transactionID)
    }

    /// Sends every unanswered request once more and arms the timer. A failed send counts as a
    /// lost transmission: the retransmission schedule goes on.
    private func transmitAll() {
        guard let socket else { return }
        loop.updateNow()
        transmissions += 1
        for id in order {
            guard var transaction = transactions[id], !transaction.settled else { continue }
            do {
                try socket.send(transaction.request, from: transaction.source, to: transaction.server)
                transaction.anySent = true
            } catch {
                lastSendError = error
            }
            transaction.lastSentAt = loop.now
            transactions[id] = transaction
        }
        retransmitTimer?.start(after: policy.wait(afterTransmission: transmissions))
    }

    private func retransmitTimerFired() {
        guard !finished else { return }
        if transmissions < max(1, policy.attempts) { return transmitAll() }
        for id in order {
            guard var transaction = transactions[id], !transaction.settled else { continue }
            if transaction.anySent { timedOutServers.append(transaction.serverText) }
            transaction.settled = true
            transactions[id] = transaction
        }
        finishWithWhatCameBack()
    }

    /// Reads every queued packet; anything that is not a Binding response to one of our
    /// unanswered transactions is ignored.
    private func readReplies() {
        while !finished, let socket {
            let udp: ReceivedUDPPacket?
            do {
                udp = try socket.receiveDatagram()
            } catch {
                return
            }
            guard let udp else { return }
            guard udp.destinationPort == localPort,
                  let message = try? StunMessage(parsing: udp.payload),
                  var transaction = transactions[message.transactionID], !transaction.settled,
                  let response = try? StunBindingResponse(message) else { continue }
            transaction.settled = true
            transactions[message.transactionID] = transaction
            switch response {
            case .mapped(let mapped):
                let rtt = max(0, loop.now - transaction.lastSentAt)
                mappings.append(StunMapping(mapped: mapped, server: transaction.server,
                                            local: Endpoint(address: transaction.source, port: localPort), rtt: rtt))
                if mappings.count == 1 { graceTimer?.start(after: 2 * policy.initialRTO) }
            case .error(let code):
                lastErrorResponse = code
            }
            if transactions.values.allSatisfy(\.settled) { finishWithWhatCameBack() }
        }
    }

    /// Success with the mappings gathered, or the most telling failure when there are none.
    private func finishWithWhatCameBack() {
        if let result = StunMappings(family: family, all: mappings) {
            finish(.success(result))
        } else {
            finish(.failure(finalError()))
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

    private func finish(_ result: Result<StunMappings, StunDiscoveryError>) {
        guard !finished else { return }
        finished = true
        tearDown()
        withExtendedLifetime(self) { completion(result) }
    }

    /// Stops the watchers before the socket closes (libev must not watch a closed fd).
    private func tearDown() {
        readWatcher?.stop()
        retransmitTimer?.stop()
        graceTimer?.stop()
        socket = nil
    }
}
