import EventLoop
import Glibc
@testable import Stun
import SystemCalls
import Testing

/// StunDiscovery end to end on loopback (needs root for the raw socket). Serialized: the
/// retransmission timings are measured.
@Suite(.serialized) struct StunDiscoveryTests {
    let fast = StunRetransmitPolicy(initialRTO: 0.05, attempts: 4, lastWaitMultiplier: 8)

    /// The error of a failed discovery, nil for success or no result.
    func failure(_ result: Result<StunMapping, StunDiscoveryError>?) -> StunDiscoveryError? {
        if case .failure(let error) = result { error } else { nil }
    }

    /// Runs a discovery to completion (bounded) and returns its result and how long it took.
    func discover(loop: EventLoop, localPort: UInt16, servers: [String], policy: StunRetransmitPolicy? = nil,
                  timeout: Double = 5) -> (result: Result<StunMapping, StunDiscoveryError>?, seconds: Double) {
        var result: Result<StunMapping, StunDiscoveryError>?
        let discovery = StunDiscovery(loop: loop, localPort: localPort, fwmark: 0, servers: servers,
                                      policy: policy ?? fast) { result = $0 }
        discovery.start()
        #expect(result == nil, "completion must not run inside start()")
        let seconds = run(loop, timeout: timeout) { result != nil }
        return (result, seconds)
    }

    @Test func findsTheMappingOfWireGuardsPort() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop)
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        let mapping = try #require(try result?.get())
        #expect(mapping.mapped == wireGuard.endpoint)
        #expect(mapping.server == server.endpoint)
        #expect(mapping.rtt >= 0 && mapping.rtt < 1)
        #expect(server.requests.count == 1)
        let request = try #require(server.requests.first)
        #expect(request.from == wireGuard.endpoint)
        #expect(request.message.software == "stunmeshd")
        #expect(request.message.fingerprint != nil)
    }

    @Test func silentServerGetsEveryRetransmissionThenTimesOut() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop, reply: TestStunServer.silent)
        let (result, seconds) = discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        #expect(failure(result) == .timedOut(servers: [server.address]))
        #expect(server.requests.count == fast.attempts)
        #expect(fast.timeoutPerServer == 0.05 + 0.1 + 0.2 + 0.4)
        #expect(seconds >= fast.timeoutPerServer - 0.01)
        #expect(seconds < fast.timeoutPerServer + 0.5)
        // Intervals double: 0.05, 0.1, 0.2 s (loose bounds: a busy machine only delays).
        let times = server.requests.map(\.at)
        for (index, expected) in [0.05, 0.1, 0.2].enumerated() {
            let gap = times[index + 1] - times[index]
            #expect(gap >= expected * 0.8 && gap < expected + 0.3, "gap \(index): \(gap)")
        }
        // The same transaction each time.
        #expect(Set(server.requests.map(\.message.transactionID)).count == 1)
    }

    @Test func failsOverToTheNextServer() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let silent = try TestStunServer(loop: loop, reply: TestStunServer.silent)
        let answering = try TestStunServer(loop: loop)
        let (result, _) = discover(loop: loop, localPort: wireGuard.port,
                                   servers: ["not a server", silent.address, answering.address])
        let mapping = try #require(try result?.get())
        #expect(mapping.server == answering.endpoint)
        #expect(mapping.mapped == wireGuard.endpoint)
        #expect(silent.requests.count == fast.attempts)
        #expect(answering.requests.count == 1)
        #expect(silent.requests[0].message.transactionID != answering.requests[0].message.transactionID)
    }

    @Test func ignoresAReplyWithTheWrongTransactionID() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop) { request, sender, count in
            count == 1
                ? [TestStunServer.success(to: request, mapped: Endpoint("203.0.113.66:666")!, transactionID: StunTransactionID())]
                : [TestStunServer.success(to: request, mapped: sender)]
        }
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        #expect(try result?.get().mapped == wireGuard.endpoint)
        #expect(server.requests.count == 2)
    }

    @Test func ignoresGarbage() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop) { request, sender, count in
            guard count == 1 else { return [TestStunServer.success(to: request, mapped: sender)] }
            var corrupted = TestStunServer.success(to: request, mapped: Endpoint("203.0.113.66:666")!)
            corrupted[30] ^= 0xFF  // inside SOFTWARE: the fingerprint fails
            let cookieButJunk: [UInt8] = [0x01, 0x01, 0x00, 0x05, 0x21, 0x12, 0xa4, 0x42] + request.transactionID.bytes
            let notStun: [UInt8] = Array(repeating: 0xEE, count: 40)
            let request = StunMessage.bindingRequest(transactionID: request.transactionID)
            return [corrupted, cookieButJunk, notStun, [], request]
        }
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        #expect(try result?.get().mapped == wireGuard.endpoint)
        #expect(server.requests.count == 2)
    }

    @Test func errorResponseMovesOnAndIsReportedWhenNothingElseWorks() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let refusing = try TestStunServer(loop: loop) { request, _, _ in
            [TestStunServer.error(to: request, code: 400, reason: "Bad Request")]
        }
        let (alone, seconds) = discover(loop: loop, localPort: wireGuard.port, servers: [refusing.address])
        #expect(failure(alone) == .errorResponse(code: 400, reason: "Bad Request"))
        #expect(seconds < fast.timeoutPerServer / 2, "an error answer ends the server's turn at once")

        let answering = try TestStunServer(loop: loop)
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [refusing.address, answering.address])
        #expect(try result?.get().server == answering.endpoint)
    }

    @Test func interruptedSendIsRetried() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop)
        let driver = MockingDriver()
        driver.script("sendto", .fail(.interrupted))
        let (result, _) = driver.withMocking {
            discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        }
        #expect(try result?.get().mapped == wireGuard.endpoint)
        #expect(server.requests.count == 1)
        // Ours twice (EINTR, then sent), the server's reply once.
        #expect(driver.trace.filter { $0 == "sendto" }.count == 3)
    }

    @Test func failedSendCountsAsALostTransmission() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop)
        let driver = MockingDriver()
        driver.script("sendto", .fail(Errno(ENOBUFS)))
        let (result, seconds) = driver.withMocking {
            discover(loop: loop, localPort: wireGuard.port, servers: [server.address])
        }
        #expect(try result?.get().mapped == wireGuard.endpoint)
        #expect(server.requests.count == 1)
        #expect(seconds >= fast.initialRTO * 0.9)
    }

    @Test func everySendFailingIsASocketError() throws {
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("sendto", .fail(Errno(ENETUNREACH)), .fail(Errno(ENETUNREACH)), .fail(Errno(ENETUNREACH)),
                      .fail(Errno(ENETUNREACH)))
        let (result, _) = driver.withMocking {
            discover(loop: loop, localPort: 40001, servers: ["127.0.0.1:9"])
        }
        #expect(failure(result) == .socket(Errno(ENETUNREACH)))
    }

    @Test func rawSocketFailureIsReported() throws {
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("socket", .fail(.notPermitted))
        let (result, _) = driver.withMocking {
            discover(loop: loop, localPort: 40002, servers: ["127.0.0.1:3478"])
        }
        #expect(failure(result) == .socket(.notPermitted))
    }

    @Test func noServersAndUnresolvableServers() {
        let loop = EventLoop()
        let (none, _) = discover(loop: loop, localPort: 40003, servers: [])
        #expect(failure(none) == .noServers)
        let (bad, _) = discover(loop: loop, localPort: 40003, servers: ["nonsense", "[2001:db8::1]:3478"])
        #expect(failure(bad) == .resolveFailed("[2001:db8::1]:3478: IPv6 STUN servers are not supported yet"))
    }

    @Test func cancelledDiscoveryNeverCompletes() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop)
        var calls = 0
        let beforeStart = StunDiscovery(loop: loop, localPort: wireGuard.port, fwmark: 0, servers: [server.address],
                                        policy: fast) { _ in calls += 1 }
        beforeStart.start()
        beforeStart.cancel()
        // Cancelled from the server's side as the second transmission arrives: nothing after.
        var midway: StunDiscovery?
        let silent = try TestStunServer(loop: loop) { _, _, count in
            if count == 2 { midway?.cancel() }
            return []
        }
        midway = StunDiscovery(loop: loop, localPort: wireGuard.port, fwmark: 0, servers: [silent.address],
                               policy: fast) { _ in calls += 1 }
        midway?.start()
        run(loop, timeout: fast.timeoutPerServer + 0.3) { false }
        #expect(silent.requests.count == 2)
        #expect(calls == 0)
        #expect(server.requests.isEmpty)
    }

    @Test func lateReplyFromAnEarlierServerStillCounts() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        // The first server answers only its last transmission, and only after the discovery
        // has moved on: held back until the second (silent) server has been asked.
        var held: (request: StunMessage, sender: Endpoint)?
        let slow = try TestStunServer(loop: loop) { request, sender, count in
            if count == 4 { held = (request, sender) }
            return []
        }
        let silent = try TestStunServer(loop: loop) { _, _, _ in
            if let (request, sender) = held {
                held = nil
                try? slow.socket.send(TestStunServer.success(to: request, mapped: sender), to: sender)
            }
            return []
        }
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [slow.address, silent.address])
        let mapping = try #require(try result?.get())
        #expect(mapping.server == slow.endpoint)
        #expect(mapping.mapped == wireGuard.endpoint)
        #expect(silent.requests.count >= 1)
    }
}
