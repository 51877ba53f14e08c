import Glibc
@testable import Stun
import SystemCalls
import Testing

@Suite struct StunServerAddressTests {
    @Test func literalsNeedNoResolver() throws {
        let driver = MockingDriver()
        let endpoint = try driver.withMocking { try StunServerAddress.resolveIPv4("198.51.100.7:3478") }
        #expect(endpoint == Endpoint("198.51.100.7:3478"))
        #expect(driver.trace.isEmpty)
    }

    @Test func namesGoThroughGetaddrinfo() throws {
        // /etc/hosts answers "localhost" without DNS.
        #expect(try StunServerAddress.resolveIPv4("localhost:19302") == Endpoint("127.0.0.1:19302"))
    }

    @Test func resolverFailureIsTyped() {
        let driver = MockingDriver()
        driver.script("getaddrinfo", .value(Int(EAI_NONAME)))
        #expect(throws: StunDiscoveryError.resolveFailed("stun.example.invalid:3478: \(AddressInfoError(EAI_NONAME))")) {
            try driver.withMocking { try StunServerAddress.resolveIPv4("stun.example.invalid:3478") }
        }
    }

    @Test(arguments: ["stun.example.com", "stun.example.com:", "stun.example.com:0", "stun.example.com:65536",
                      "host:12ab", ":3478", "2001:db8::1:3478", "[2001:db8::1]:3478", ""])
    func malformedOrUnsupportedIsRejected(_ text: String) {
        let driver = MockingDriver()
        #expect(throws: StunDiscoveryError.self) {
            try driver.withMocking { try StunServerAddress.resolveIPv4(text) }
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
