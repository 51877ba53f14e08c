#if ENABLE_MOCKING
import EventLoop
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// Pinger failure paths a real kernel does not produce on cue.
@Suite struct PingerMockingTests {
    typealias Outcome = Result<Double, PingFailure>
    let localhost = IPAddress("127.0.0.1")!

    @Test func aFailedSendCompletesOnTheLoopWithAFailure() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        let driver = MockingDriver()
        driver.script("sendto", .fail(Errno(ENETUNREACH)), .fail(Errno(ENOBUFS)), .fail(.wouldBlock), .fail(Errno(EPERM)))
        var outcomes: [Int: Outcome] = [:]
        var cancelledRan = false
        driver.withMocking {
            pinger.ping(localhost, timeout: 1) { outcomes[0] = $0 }
            pinger.ping(localhost, timeout: 1) { outcomes[1] = $0 }
            pinger.ping(localhost, timeout: 1) { outcomes[2] = $0 }
            let token = pinger.ping(localhost, timeout: 1) { _ in cancelledRan = true }
            pinger.cancel(token)
        }
        #expect(outcomes.isEmpty, "completion must not run inside ping")
        StoreFixture.drive(loop, timeout: 5) { outcomes.count == 3 }
        #expect(outcomes[0] == .failure(.unreachable("127.0.0.1: \(Errno(ENETUNREACH))")))
        #expect(outcomes[1] == .failure(.socket(Errno(ENOBUFS))))
        #expect(outcomes[2] == .failure(.socket(.wouldBlock)))
        StoreFixture.drive(loop, timeout: 0.1) { false }
        #expect(!cancelledRan)

        // The pinger still works afterwards.
        var later: Outcome?
        pinger.ping(localhost, timeout: 2) { later = $0 }
        StoreFixture.drive(loop, timeout: 5) { later != nil }
        #expect((try? later?.get()) != nil)
    }

    @Test func shortAndFailedReadsAreSkipped() throws {
        let loop = EventLoop()
        let pinger = try Pinger(loop: loop, interface: "lo", family: AF_INET)
        let driver = MockingDriver()
        // A 3-byte "packet" with no source address, then a read error: the real reply is read
        // on a later wakeup (the descriptor stays readable).
        driver.script("recvfrom", .value(3), .fail(Errno(ENOMEM)))
        var outcome: Outcome?
        driver.withMocking {
            pinger.ping(localhost, timeout: 2) { outcome = $0 }
            StoreFixture.drive(loop, timeout: 5) { outcome != nil }
        }
        #expect(driver.scripted["recvfrom"]?.isEmpty == true)
        #expect(driver.trace.filter { $0 == "recvfrom" }.count >= 3)
        #expect(try #require(outcome).get() >= 0)
    }

    @Test func aSocketThatCannotBeMadeIsASocketFailure() {
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("socket", .fail(.notPermitted))
        _ = driver.withMocking {
            #expect(throws: PingFailure.socket(.notPermitted)) { try Pinger(loop: loop, interface: "lo", family: AF_INET) }
        }
        driver.script("setsockopt", .fail(Errno(ENODEV)))
        _ = driver.withMocking {
            #expect(throws: PingFailure.socket(Errno(ENODEV))) { try Pinger(loop: loop, interface: "lo", family: AF_INET6) }
        }
        #expect(driver.trace.contains("close"))
    }
}
#endif
