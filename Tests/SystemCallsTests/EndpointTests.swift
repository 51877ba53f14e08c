import Glibc
import SystemCalls
import Testing

@Suite struct EndpointTests {
    @Test func parsesAndFormatsIPv4() {
        let e = Endpoint("203.0.113.7:51820")
        #expect(e?.address == .v4(203, 0, 113, 7))
        #expect(e?.port == 51820)
        #expect(e?.description == "203.0.113.7:51820")
    }

    @Test func formatsIPv6AsRFC5952() {
        #expect(Endpoint("[2001:0DB8:0:0:0:0:0:1]:51820")?.description == "[2001:db8::1]:51820")
        #expect(Endpoint("[2001:db8:0:1:1:1:1:1]:1")?.description == "[2001:db8:0:1:1:1:1:1]:1")
    }

    @Test(arguments: ["", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:5", "::1:5", "[::1]5", "[1.2.3.4]:5",
                      "1.2.3.4:5x", "[::1]:-1", "host:80"])
    func rejectsMalformed(_ text: String) {
        #expect(Endpoint(text) == nil)
    }

    @Test func roundTripsThroughSockaddr() {
        for text in ["198.51.100.2:3478", "[2001:db8::2]:3478"] {
            let e = Endpoint(text)!
            let back = e.withSockaddr { sa, _ in Endpoint(sockaddr: sa) }
            #expect(back == e)
        }
    }

    /// An embedded NUL is not the address before it (found by fuzzing main at f1e00ed).
    @Test func anEmbeddedNulIsNoAddress() {
        #expect(Endpoint("203.0.113.7:51820\u{0}junk") == nil)
        #expect(Endpoint("203.0.113.7\u{0}:51820") == nil)
        #expect(IPAddress("203.0.113.7\u{0}9") == nil)
        #expect(IPAddress("2001:db8::1\u{0}") == nil)
    }
}
