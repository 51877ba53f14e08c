import Record
import Supervisor
import SystemCalls
import Testing

/// Which endpoint of a record WireGuard gets: the peer's protocol, and never a family this host
/// cannot route (issue #18; stunmesh-go's #295).
@Suite struct EndpointChoiceTests {
    let v4 = Endpoint("203.0.113.20:35436")!
    let v6 = Endpoint("[2001:db8:b::2]:51820")!
    var both: EndpointRecord { EndpointRecord(ipv4: v4, ipv6: v6) }

    @Test func theProtocolPicksWhenEverythingIsRoutable() {
        #expect(EndpointChoice.choose(from: both, protocol: .ipv4) == .success(v4))
        #expect(EndpointChoice.choose(from: both, protocol: .ipv6) == .success(v6))
        #expect(EndpointChoice.choose(from: both, protocol: .preferIPv4) == .success(v4))
        #expect(EndpointChoice.choose(from: both, protocol: .preferIPv6) == .success(v6))
        #expect(EndpointChoice.choose(from: EndpointRecord(ipv4: v4), protocol: .preferIPv6) == .success(v4))
        #expect(EndpointChoice.choose(from: EndpointRecord(ipv4: v4), protocol: .ipv6) == .failure(.noAddress(.ipv6)))
    }

    @Test func anUnroutableFamilyIsNeverChosen() {
        let ipv4Only: (Endpoint) -> Bool = { $0.address.isIPv4 }
        #expect(EndpointChoice.choose(from: both, protocol: .preferIPv6, routable: ipv4Only) == .success(v4))
        #expect(EndpointChoice.choose(from: both, protocol: .ipv6, routable: ipv4Only) == .failure(.unroutable([v6])))
        #expect(EndpointChoice.choose(from: EndpointRecord(ipv6: v6), protocol: .preferIPv4, routable: ipv4Only)
                == .failure(.unroutable([v6])))
        #expect("\(EndpointChoice.Refusal.unroutable([v6]))".contains("no route to [2001:db8:b::2]:51820"))
    }

    @Test func theRouteQuestionIsTheKernels() {
        #expect(Sys.hasRoute(to: Endpoint("127.0.0.1:9")!))
    }
}
