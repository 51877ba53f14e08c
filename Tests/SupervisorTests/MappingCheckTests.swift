import Supervisor
import SystemCalls
import Testing

/// The idle mapping check's schedule and what its answer means.
@Suite struct MappingCheckTests {
    let rule = MappingCheck(interval: 300)
    let a = Endpoint("203.0.113.10:35436")!
    let b = Endpoint("203.0.113.10:40000")!
    let v6 = Endpoint("[2001:db8::1]:35436")!

    @Test func checksOnlyWhileSomePeerIsBelievedGood() {
        #expect(rule.decide(now: 1000, lastExchange: 0, watching: 0) == .wait(300))
        #expect(rule.decide(now: 1000, lastExchange: nil, watching: 0) == .wait(300))
        #expect(rule.decide(now: 1000, lastExchange: nil, watching: 1) == .check)
    }

    @Test func anyExchangeFromThePortRestartsTheWait() {
        #expect(rule.decide(now: 1000, lastExchange: 900, watching: 3) == .wait(200))
        #expect(rule.decide(now: 1200, lastExchange: 900, watching: 3) == .check)
        #expect(rule.decide(now: 1500, lastExchange: 900, watching: 1) == .check)
    }

    @Test func aMoveIsAnAnsweringFamilyWithAnotherEndpoint() {
        let published = PublicEndpoints(ipv4: a, ipv6: v6)
        #expect(!MappingCheck.moved(found: PublicEndpoints(ipv4: a, ipv6: v6), published: published))
        #expect(MappingCheck.moved(found: PublicEndpoints(ipv4: b, ipv6: v6), published: published))
        #expect(MappingCheck.moved(found: PublicEndpoints(b), published: published), "v4 moved, v6 did not answer")
        #expect(!MappingCheck.moved(found: PublicEndpoints(a), published: published), "v6 did not answer: not a move")
        #expect(!MappingCheck.moved(found: PublicEndpoints(), published: published), "nothing answered")
        #expect(MappingCheck.moved(found: PublicEndpoints(ipv4: a, ipv6: v6), published: PublicEndpoints(a)),
                "a family that answers where nothing was published")
        #expect(!MappingCheck.moved(found: PublicEndpoints(b), published: nil), "nothing published yet")
    }
}
