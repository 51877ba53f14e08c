import EventLoop
import Glibc
import Probes
import Stun
@testable import Supervisor
import SystemCalls
import Testing

/// Dual-stack discovery outcomes, NAT behaviour bookkeeping and the direct-path explanation:
/// pure rules, no sockets.
@Suite struct NatOutlookTests {
    let v4 = Endpoint("203.0.113.10:35436")!
    let v6 = Endpoint("[2001:db8:1::2]:51820")!

    func mappings(_ family: IPFamily, _ mapped: [Endpoint], local: Endpoint) -> StunMappings {
        let servers = [Endpoint("203.0.113.1:3478")!, Endpoint("203.0.113.2:3478")!]
        return StunMappings(family: family, all: mapped.enumerated().map { index, endpoint in
            StunMapping(mapped: endpoint, server: servers[index % 2], local: local, rtt: 0.01)
        })!
    }

    @Test func dualStackPublishesWhateverAnswered() {
        let both = DiscoveryOutcome(families: [.ipv4, .ipv6], results: [
            .ipv4: .success(mappings(.ipv4, [v4, v4], local: Endpoint("10.0.1.2:51820")!)),
            .ipv6: .success(mappings(.ipv6, [v6], local: v6)),
        ])
        #expect(both.event == .discovered(PublicEndpoints(ipv4: v4, ipv6: v6)))
        #expect(both.behaviours == [.ipv4: .endpointIndependent, .ipv6: .notTranslated])

        let v6Failed = DiscoveryOutcome(families: [.ipv4, .ipv6], results: [
            .ipv4: .success(mappings(.ipv4, [v4], local: Endpoint("10.0.1.2:51820")!)),
            .ipv6: .failure(.socket(Errno(ENETUNREACH))),
        ])
        #expect(v6Failed.event == .discovered(PublicEndpoints(ipv4: v4)))
        #expect(v6Failed.failures[.ipv6] == .socket(Errno(ENETUNREACH)))
    }

    @Test func failsOnlyWhenNoFamilyAnswered() {
        let none = DiscoveryOutcome(families: [.ipv4, .ipv6], results: [
            .ipv4: .failure(.timedOut(servers: ["203.0.113.1:3478"])),
            .ipv6: .failure(.resolveFailed("203.0.113.1:3478: not an ipv6 address")),
        ])
        #expect(none.event == .discoveryFailed(
            "ipv4: no STUN reply from 203.0.113.1:3478; ipv6: cannot resolve STUN server 203.0.113.1:3478: not an ipv6 address"))
        // One family: the reason alone, as before dual-stack.
        let single = DiscoveryOutcome(families: [.ipv6], results: [.ipv6: .failure(.noServers)])
        #expect(single.event == .discoveryFailed("no STUN servers configured"))
        // A family without a result counts as failed.
        #expect(DiscoveryOutcome(families: [.ipv4], results: [:]).event == .discoveryFailed("no STUN servers configured"))
    }

    @Test func symmetricOnOneOrBothSides() {
        #expect(DirectPathOutlook.judge(ours: .symmetric, peerSymmetric: true) == .impossible)
        #expect(DirectPathOutlook.judge(ours: .symmetric, peerSymmetric: false) == .likelyImpossibleOurs)
        #expect(DirectPathOutlook.judge(ours: .endpointIndependent, peerSymmetric: true) == .likelyImpossibleTheirs)
        #expect(DirectPathOutlook.judge(ours: nil, peerSymmetric: true) == .likelyImpossibleTheirs)
        for ours: NatBehaviour? in [nil, .unknown, .notTranslated, .endpointIndependent] {
            #expect(DirectPathOutlook.judge(ours: ours, peerSymmetric: false) == nil)
        }
        #expect(DirectPathOutlook.impossible.description.contains("impossible: both NATs are symmetric"))
        #expect(DirectPathOutlook.likelyImpossibleOurs.description.hasPrefix("direct path likely impossible"))
    }

    @Test func theInterfaceKeepsTheLastKnownBehaviourAndReportsChangesOnce() {
        let interface = InterfaceRuntime(name: "wg-test", loop: EventLoop(), backend: UAPIClient(interface: "wg-test"),
                                         stunServers: [])
        #expect(interface.noteNatBehaviour(.unknown, family: .ipv4))          // first news
        #expect(interface.noteNatBehaviour(.symmetric, family: .ipv4))        // learned
        #expect(!interface.noteNatBehaviour(.symmetric, family: .ipv4))       // no change: no log
        #expect(!interface.noteNatBehaviour(.unknown, family: .ipv4))         // one server this time
        #expect(interface.natBehaviour[.ipv4] == .symmetric)
        #expect(interface.noteNatBehaviour(.notTranslated, family: .ipv6))
        #expect(interface.symmetricFamilies == [.ipv4])
        #expect(interface.noteNatBehaviour(.endpointIndependent, family: .ipv4))  // the NAT changed
        #expect(interface.symmetricFamilies.isEmpty)
    }

    @Test func interfaceProtocolFamilies() {
        #expect(InterfaceProtocol.ipv4.families == [.ipv4])
        #expect(InterfaceProtocol.ipv6.families == [.ipv6])
        #expect(InterfaceProtocol.dualstack.families == [.ipv4, .ipv6])
    }
}
