import Stun
import SystemCalls
import Testing

/// The pure comparison behind NAT-type detection.
@Suite struct NatBehaviourTests {
    let local = Endpoint("10.0.1.2:51820")!
    let otherLocal = Endpoint("10.0.9.2:51820")!
    let server1 = Endpoint("203.0.113.1:3478")!
    let server2 = Endpoint("203.0.113.2:3478")!
    let server3 = Endpoint("198.51.100.3:3478")!

    func mapping(_ mapped: String, from server: Endpoint, local: Endpoint? = nil) -> StunMapping {
        StunMapping(mapped: Endpoint(mapped)!, server: server, local: local ?? self.local, rtt: 0.01)
    }

    @Test func nothingToCompare() {
        #expect(NatBehaviour.judge([]) == .unknown)
        #expect(NatBehaviour.judge([mapping("203.0.113.10:35436", from: server1)]) == .unknown)
    }

    @Test func sameMappingEverywhereIsEndpointIndependent() {
        let mappings = [mapping("203.0.113.10:35436", from: server1), mapping("203.0.113.10:35436", from: server2),
                        mapping("203.0.113.10:35436", from: server3)]
        #expect(NatBehaviour.judge(mappings) == .endpointIndependent)
    }

    @Test func anyDifferenceIsSymmetric() {
        // A different port (address-and-port-dependent) or a different address (pooling).
        #expect(NatBehaviour.judge([mapping("203.0.113.10:35436", from: server1),
                                    mapping("203.0.113.10:35437", from: server2)]) == .symmetric)
        #expect(NatBehaviour.judge([mapping("203.0.113.10:35436", from: server1),
                                    mapping("203.0.113.10:35436", from: server2),
                                    mapping("203.0.113.11:35436", from: server3)]) == .symmetric)
    }

    @Test func ourOwnAddressIsNotTranslatedEvenFromOneServer() {
        let open = Endpoint("[2001:db8:1::2]:51820")!
        let v6 = StunMapping(mapped: open, server: Endpoint("[2001:db8:ffff::1]:3478")!, local: open, rtt: 0.01)
        #expect(NatBehaviour.judge([v6]) == .notTranslated)
        #expect(NatBehaviour.judge([v6, v6]) == .notTranslated)
    }

    @Test func mappingsFromAnotherSourceAddressAreNotCompared() {
        // Multi-homed: the third server is reached from another address; its mapping differs
        // for that reason alone.
        let mappings = [mapping("203.0.113.10:35436", from: server1), mapping("203.0.113.10:35436", from: server2),
                        mapping("198.51.100.77:51820", from: server3, local: otherLocal)]
        #expect(NatBehaviour.judge(mappings) == .endpointIndependent)
        #expect(NatBehaviour.judge(Array(mappings.suffix(2))) == .unknown)
    }

    @Test func words() {
        #expect(NatBehaviour.symmetric.description == "symmetric")
        #expect(NatBehaviour.endpointIndependent.description == "endpoint-independent")
        #expect(StunMappings(family: .ipv4, all: []) == nil)
    }
}
