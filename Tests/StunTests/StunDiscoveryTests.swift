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
    func failure(_ result: Result<StunMappings, StunDiscoveryError>?) -> StunDiscoveryError? {
        if case .failure(let error) = result { error } else { nil }
    }

    /// Runs a discovery to completion (bounded) and returns its result and how long it took.
    func discover(loop: EventLoop, family: IPFamily = .ipv4, localPort: UInt16, servers: [String],
                  policy: StunRetransmitPolicy? = nil,
                  timeout: Double = 5) -> (result: Result<StunMappings, StunDiscoveryError>?, seconds: Double) {
        var result: Result<StunMappings, StunDiscoveryError>?
        let discovery = StunDiscovery(loop: loop, family: family, localPort: localPort, fwmark: 0, servers: servers,
                                      policy: policy ?? fast) { result = $0 }
        discovery.start()
        #expect(result == nil, "completion must not run inside start()")
        let seconds = run(loop, timeout: timeout) { result != nil }
        return (result, seconds)
    }

    @Test(arguments: IPFamily.allCases)
    func findsTheMappingOfWireGuardsPort(_ family: IPFamily) throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket(family: family)
        let server = try TestStunServer(loop: loop, family: family)
        let (result, _) = discover(loop: loop, family: family, localPort: wireGuard.port, servers: [server.address])
        let mappings = try #require(try result?.get())
        #expect(mappings.family == family)
        #expect(mappings.all.count == 1)
        let mapping = mappings.first
        #expect(mapping.mapped == wireGuard.endpoint)
        #expect(mapping.server == server.endpoint)
        #expect(mapping.local == wireGuard.endpoint)
        #expect(mapping.rtt >= 0 && mapping.rtt < 1)
        #expect(mappings.behaviour == .notTranslated)
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

    @Test func asksEveryServerAtOnceAndWaitsForSilentOnesOnlyBriefly() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let silent = try TestStunServer(loop: loop, reply: TestStunServer.silent)
        let first = try TestStunServer(loop: loop)
        let second = try TestStunServer(loop: loop)
        let (result, seconds) = discover(loop: loop, localPort: wireGuard.port,
                                         servers: ["not a server", silent.address, first.address, second.address])
        let mappings = try #require(try result?.get())
        #expect(Set(mappings.all.map(\.server)) == [first.endpoint, second.endpoint])
        #expect(mappings.all.allSatisfy { $0.mapped == wireGuard.endpoint })
        #expect(first.requests.count == 1 && second.requests.count == 1)
        // All three were asked in the same round, each with its own transaction.
        let sentAt = [silent, first, second].map { $0.requests[0].at }
        #expect(sentAt.max()! - sentAt.min()! < fast.initialRTO)
        #expect(Set([silent, first, second].map { $0.requests[0].message.transactionID }).count == 3)
        // The silent one costs at most the grace after the first answer (two initial RTOs).
        #expect(seconds < 2 * fast.initialRTO + 0.3)
        #expect(silent.requests.count < fast.attempts)
    }

    @Test func sameMappingFromTwoServersIsEndpointIndependentDifferentIsSymmetric() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let public1 = Endpoint("203.0.113.10:35436")!
        let public2 = Endpoint("203.0.113.10:40000")!
        let a = try TestStunServer(loop: loop) { request, _, _ in [TestStunServer.success(to: request, mapped: public1)] }
        let b = try TestStunServer(loop: loop) { request, _, _ in [TestStunServer.success(to: request, mapped: public1)] }
        let (same, _) = discover(loop: loop, localPort: wireGuard.port, servers: [a.address, b.address])
        #expect(try same?.get().behaviour == .endpointIndependent)
        b.reply = { request, _, _ in [TestStunServer.success(to: request, mapped: public2)] }
        let (different, _) = discover(loop: loop, localPort: wireGuard.port, servers: [a.address, b.address])
        let mappings = try #require(try different?.get())
        #expect(mappings.behaviour == .symmetric)
        #expect(Set(mappings.all.map(\.mapped)) == [public1, public2])
        let (alone, _) = discover(loop: loop, localPort: wireGuard.port, servers: [a.address])
        #expect(try alone?.get().behaviour == .unknown)
    }

    @Test func aServerListedTwiceIsAskedOnce() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let server = try TestStunServer(loop: loop)
        let (result, _) = discover(loop: loop, localPort: wireGuard.port, servers: [server.address, server.address])
        #expect(try result?.get().all.count == 1)
        #expect(server.requests.count == 1)
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
        #expect(try result?.get().first.mapped == wireGuard.endpoint)
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
        #expect(try result?.get().first.mapped == wireGuard.endpoint)
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
        #expect(try result?.get().all.map(\.server) == [answering.endpoint])
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
        #expect(try result?.get().first.mapped == wireGuard.endpoint)
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
        #expect(try result?.get().first.mapped == wireGuard.endpoint)
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
        #expect(failure(bad) == .resolveFailed("[2001:db8::1]:3478: not an ipv4 address"))
        let (noV6, _) = discover(loop: loop, family: .ipv6, localPort: 40003, servers: ["127.0.0.1:3478"])
        #expect(failure(noV6) == .resolveFailed("127.0.0.1:3478: not an ipv6 address"))
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

    @Test func aReplyDuringTheLastWaitStillCounts() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket()
        let slow = try TestStunServer(loop: loop) { request, sender, count in
            count == 4 ? [TestStunServer.success(to: request, mapped: sender)] : []
        }
        let (result, seconds) = discover(loop: loop, localPort: wireGuard.port, servers: [slow.address])
        #expect(try result?.get().first.mapped == wireGuard.endpoint)
        #expect(seconds >= 0.05 + 0.1 + 0.2 - 0.01)
    }
}

/// Both families at once from one port, as a dual-stack interface does (needs root).
@Suite(.serialized) struct DualStackDiscoveryTests {
    let fast = StunRetransmitPolicy(initialRTO: 0.05, attempts: 4, lastWaitMultiplier: 8)

    func discover(loop: EventLoop, families: [IPFamily], localPort: UInt16, servers: [String])
        -> [IPFamily: Result<StunMappings, StunDiscoveryError>]? {
        var results: [IPFamily: Result<StunMappings, StunDiscoveryError>]?
        let discovery = DualStackDiscovery(loop: loop, families: families, localPort: localPort, fwmark: 0,
                                           servers: servers, policy: fast) { results = $0 }
        discovery.start()
        #expect(results == nil, "completion must not run inside start()")
        run(loop, timeout: 5) { results != nil }
        return results
    }

    @Test func findsBothMappingsOfOnePort() throws {
        let loop = EventLoop()
        let wireGuard4 = try LoopbackUDPSocket(family: .ipv4)
        let wireGuard6 = try LoopbackUDPSocket(family: .ipv6, port: wireGuard4.port)
        let server4 = try TestStunServer(loop: loop, family: .ipv4)
        let server6 = try TestStunServer(loop: loop, family: .ipv6)
        let results = try #require(discover(loop: loop, families: [.ipv4, .ipv6, .ipv4], localPort: wireGuard4.port,
                                            servers: [server4.address, server6.address]))
        #expect(results.count == 2)
        #expect(try results[.ipv4]?.get().first.mapped == wireGuard4.endpoint)
        #expect(try results[.ipv6]?.get().first.mapped == wireGuard6.endpoint)
        #expect(try results[.ipv6]?.get().first.server == server6.endpoint)
        #expect(server4.requests.count == 1 && server6.requests.count == 1)
    }

    @Test func aFamilyWithoutServersFailsAloneAndCancelSilences() throws {
        let loop = EventLoop()
        let wireGuard = try LoopbackUDPSocket(family: .ipv4)
        let server4 = try TestStunServer(loop: loop, family: .ipv4)
        let results = try #require(discover(loop: loop, families: [.ipv4, .ipv6], localPort: wireGuard.port,
                                            servers: [server4.address]))
        #expect(try results[.ipv4]?.get().first.mapped == wireGuard.endpoint)
        if case .failure(let error)? = results[.ipv6] {
            #expect(error == .resolveFailed("\(server4.address): not an ipv6 address"))
        } else {
            Issue.record("IPv6 should fail without an IPv6 server")
        }

        var calls = 0
        let cancelled = DualStackDiscovery(loop: loop, families: [.ipv4, .ipv6], localPort: wireGuard.port, fwmark: 0,
                                           servers: [server4.address], policy: fast) { _ in calls += 1 }
        cancelled.start()
        cancelled.cancel()
        run(loop, timeout: 0.3) { false }
        #expect(calls == 0)
    }
}
