import EventLoop
import Glibc
@testable import Supervisor
import SystemCalls
import Testing

/// One STUN exchange per WireGuard port, shared by the peers that ask while it runs or just after.
@Suite struct PortDiscoveryTests {
    /// A STUN server on loopback that answers nothing: the exchange runs until its retransmissions
    /// give up, long enough for the test to join it.
    @Test func requestsWhileAnExchangeRunsShareIt() throws {
        let loop = EventLoop()
        let discovery = PortDiscovery(loop: loop)
        var answers = 0
        let servers = ["127.0.0.1:9"]
        let first = discovery.discover(families: [.ipv4], port: 45_000, fwmark: 0, servers: servers) { _ in answers += 1 }
        let second = discovery.discover(families: [.ipv4], port: 45_000, fwmark: 0, servers: servers) { _ in answers += 1 }
        let third = discovery.discover(families: [.ipv4], port: 45_000, fwmark: 0, servers: servers) { _ in answers += 1 }
        third.cancel()
        #expect(discovery.exchanges == 1, "three peers, one exchange")
        #expect(answers == 0, "never inside discover")
        _ = first
        _ = second
        discovery.stop()
        #expect(discovery.exchanges == 1)
    }

    @Test func anotherPortIsAnotherExchange() {
        let loop = EventLoop()
        let discovery = PortDiscovery(loop: loop)
        _ = discovery.discover(families: [.ipv4], port: 45_001, fwmark: 0, servers: ["127.0.0.1:9"]) { _ in }
        _ = discovery.discover(families: [.ipv4], port: 45_002, fwmark: 0, servers: ["127.0.0.1:9"]) { _ in }
        #expect(discovery.exchanges == 2)
        discovery.stop()
    }
}
