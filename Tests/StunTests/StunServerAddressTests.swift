import Glibc
@testable import Stun
import SystemCalls
import Testing

@Suite struct StunServerAddressTests {
    @Test func literalsNeedNoResolver() throws {
        let driver = MockingDriver()
        let endpoint = try driver.withMocking { try StunServerAddress.resolve("198.51.100.7:3478", family: .ipv4) }
        #expect(endpoint == Endpoint("198.51.100.7:3478"))
        #expect(driver.trace.isEmpty)
    }

    @Test func namesGoThroughGetaddrinfo() throws {
        // /etc/hosts answers "localhost" without DNS.
        #expect(try StunServerAddress.resolve("localhost:19302", family: .ipv4) == Endpoint("127.0.0.1:19302"))
    }

    @Test func ipv6LiteralsAndNamesResolvePerFamily() throws {
        let driver = MockingDriver()
        let literal = try driver.withMocking { try StunServerAddress.resolve("[2001:db8::1]:3478", family: .ipv6) }
        #expect(literal == Endpoint("[2001:db8::1]:3478"))
        #expect(driver.trace.isEmpty)
        // A name with no AAAA answer (the scripted resolver returns an empty list).
        driver.script("getaddrinfo", .value(0))
        #expect(throws: StunDiscoveryError.resolveFailed("stun.example.com:3478: no ipv6 address")) {
            try driver.withMocking { try StunServerAddress.resolve("stun.example.com:3478", family: .ipv6) }
        }
        #expect(throws: StunDiscoveryError.resolveFailed("[2001:db8::1]:3478: not an ipv4 address")) {
            try StunServerAddress.resolve("[2001:db8::1]:3478", family: .ipv4)
        }
        #expect(throws: StunDiscoveryError.resolveFailed("198.51.100.7:3478: not an ipv6 address")) {
            try StunServerAddress.resolve("198.51.100.7:3478", family: .ipv6)
        }
    }

    @Test func resolverFailureIsTyped() {
        let driver = MockingDriver()
        driver.script("getaddrinfo", .value(Int(EAI_NONAME)))
        #expect(throws: StunDiscoveryError.resolveFailed("stun.example.invalid:3478: \(AddressInfoError(EAI_NONAME))")) {
            try driver.withMocking { try StunServerAddress.resolve("stun.example.invalid:3478", family: .ipv4) }
        }
    }

    @Test(arguments: ["stun.example.com", "stun.example.com:", "stun.example.com:0", "stun.example.com:65536",
                      "host:12ab", ":3478", "2001:db8::1:3478", "[2001:db8::1]:3478", "[2001:db8::1]", ""])
    func malformedOrWrongFamilyIsRejected(_ text: String) {
        let driver = MockingDriver()
        #expect(throws: StunDiscoveryError.self) {
            try driver.withMocking { try StunServerAddress.resolve(text, family: .ipv4) }
        }
        #expect(driver.trace.isEmpty, "no resolver call for \(text)")
    }
}

@Suite struct StunRetransmitPolicyTests {
    @Test func defaultFollowsRFC8489DoublingWithAShorterTail() {
        let policy = StunRetransmitPolicy.default
        #expect(policy.initialRTO == 0.5)
        #expect(policy.attempts == 4)
        #expect((1...4).map { policy.wait(afterTransmission: $0) } == [0.5, 1, 2, 4])
        #expect(policy.timeoutPerServer == 7.5)
    }

    @Test func rfcParametersGiveTheRFCsTimeline() {
        // RFC 8489 §6.2.1: Rc = 7, Rm = 16, RTO 500 ms → gives up at 39.5 s.
        let rfc = StunRetransmitPolicy(initialRTO: 0.5, attempts: 7, lastWaitMultiplier: 16)
        #expect(rfc.timeoutPerServer == 39.5)
    }

    @Test func oneAttemptOnlyWaitsTheTail() {
        let policy = StunRetransmitPolicy(initialRTO: 1, attempts: 1, lastWaitMultiplier: 3)
        #expect(policy.timeoutPerServer == 3)
        #expect(StunRetransmitPolicy(initialRTO: 1, attempts: 0, lastWaitMultiplier: 3).timeoutPerServer == 3)
    }
}
