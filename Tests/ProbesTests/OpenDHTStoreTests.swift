import EventLoop
import Glibc
import JSON
@testable import Probes
import Record
import Testing

@Suite struct OpenDHTStoreTests {
    typealias F = StoreFixture

    static func get(_ store: Store, _ loop: EventLoop, _ key: String) -> Result<String?, StoreError>? {
        var result: Result<String?, StoreError>?
        store.get(key: key) { result = $0 }
        #expect(result == nil, "completion ran inside get")
        F.drive(loop, timeout: 30) { result != nil }
        return result
    }

    static func set(_ store: Store, _ loop: EventLoop, _ key: String, _ value: String) -> Result<Void, StoreError>? {
        var result: Result<Void, StoreError>?
        store.set(key: key, value: value) { result = $0 }
        #expect(result == nil, "completion ran inside set")
        F.drive(loop, timeout: 30) { result != nil }
        return result
    }

    static let valueA = "a1" + String(repeating: "0c", count: 40)
    static let valueB = "b2" + String(repeating: "1d", count: 40)
    static let valueC = "c3" + String(repeating: "2e", count: 40)

    /// One proxy line holding `envelope` (JSON text) as OpenDHT returns it.
    static func line(_ envelope: String) -> String {
        #"{"data":"\#(Base64.encode(Array(envelope.utf8)))","id":"1","type":0}"#
    }

    @Test func theNewestEnvelopeWithOurMagicWins() {
        let body = [
            Self.line(#"{"magic":"stunmesh-v1","ts":200,"data":"new"}"#),
            Self.line(#"{"magic":"someone-else","ts":300,"data":"foreign"}"#),
            Self.line(#"{"magic":"stunmesh-v1","ts":100,"data":"old"}"#),
            Self.line(#"{"magic":"stunmesh-v1","ts":200,"data":"same age, later"}"#),
            Self.line(#"{"magic":"stunmesh-v1","ts":"900","data":"ts is text"}"#),
            Self.line("not json"),
            #"{"data":"%%% not base64"}"#,
            "garbage line",
            "",
        ].joined(separator: "\n")
        let newest = OpenDHTStore.newestEnvelope(in: Array(body.utf8), magic: "stunmesh-v1")
        #expect(newest?.ts == 200)
        #expect(newest?.data == "new")
        #expect(OpenDHTStore.newestEnvelope(in: Array(body.utf8), magic: "someone-else")?.data == "foreign")
        #expect(OpenDHTStore.newestEnvelope(in: Array(body.utf8), magic: "nobody") == nil)
        #expect(OpenDHTStore.newestEnvelope(in: [], magic: "stunmesh-v1") == nil)
    }

    @Test func everyEndpointDownIsAnErrorNamingThemAll() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let first = try HTTPFixture.closedPort(), second = try HTTPFixture.closedPort()
        let store = OpenDHTStore(loop: loop, client: client, endpoints: ["http://127.0.0.1:\(first)/", "http://127.0.0.1:\(second)"])
        #expect(store.name == "opendht http://127.0.0.1:\(first), http://127.0.0.1:\(second)")
        let result = Self.get(store, loop, F.keyA)
        guard case .failure(let error)? = result else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("127.0.0.1:\(first): ") && error.message.contains("127.0.0.1:\(second): "), "\(error)")
        #expect(store.calls == 2)
        #expect(Self.set(store, loop, "not a key", "00").map { if case .failure = $0 { true } else { false } } == true)
        #expect(store.calls == 2)
        let none = OpenDHTStore(loop: loop, client: client, endpoints: [])
        guard case .failure? = Self.get(none, loop, F.keyA) else { Issue.record("no endpoints, yet no error"); return }
    }

    /// Real OpenDHT: two dhtnode processes and their proxies in a namespace the test creates.
    @Test(.timeLimit(.minutes(2))) func realOpenDHTStoresAndReturnsTheNewestRecord() throws {
        let dht = try OpenDHTTestNetwork.start()
        defer { dht.stop() }
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        try #require(dht.waitUntilPutsWork(client, loop), "the two dhtnodes never accepted a put")
        let writer = OpenDHTStore(loop: loop, client: client, endpoints: [dht.proxies[0]])
        let reader = OpenDHTStore(loop: loop, client: client, endpoints: [dht.proxies[1]], timeout: 10)

        writer.unixTime = { 1_700_000_000 }
        #expect(try Self.set(writer, loop, F.keyA, Self.valueA)?.get() != nil)
        #expect(try Self.get(reader, loop, F.keyA)?.get() == Self.valueA)

        // The bytes in the DHT: stunmesh-go's envelope, base64 in the proxy's "data".
        let raw = HTTPFixture.send(client, loop, HTTPRequest(method: "GET", url: dht.proxies[1] + "/key/" + F.keyA))
        let lines = (try? raw?.get())?.text.split(separator: "\n") ?? []
        #expect(lines.count == 1)
        let stored = lines.first.flatMap { try? JSONValue(parsing: String($0)) }?["data"]?.stringValue.flatMap(Base64.decode)
        #expect(stored.map { String(decoding: $0, as: UTF8.self) } == #"{"magic":"stunmesh-v1","ts":1700000000,"data":"\#(Self.valueA)"}"#)

        // A newer put wins; an older one put later does not.
        writer.unixTime = { 1_700_000_060 }
        #expect(try Self.set(writer, loop, F.keyA, Self.valueB)?.get() != nil)
        #expect(try Self.get(reader, loop, F.keyA)?.get() == Self.valueB)
        writer.unixTime = { 1_700_000_030 }
        #expect(try Self.set(writer, loop, F.keyA, Self.valueC)?.get() != nil)
        #expect(try Self.get(reader, loop, F.keyA)?.get() == Self.valueB)

        // Someone else's value under the key, even a newer one, and a value that is no envelope.
        let stranger = OpenDHTStore(loop: loop, client: client, endpoints: [dht.proxies[0]], magic: "someone-else")
        stranger.unixTime = { 1_700_009_999 }
        #expect(try Self.set(stranger, loop, F.keyA, "ffff")?.get() != nil)
        let junk = HTTPFixture.send(client, loop, HTTPRequest(method: "POST", url: dht.proxies[0] + "/key/" + F.keyA,
                                                              body: Array(#"{"data":"bm90IGFuIGVudmVsb3Bl"}"#.utf8)))
        #expect((try? junk?.get())?.status == 200)
        #expect(try Self.get(reader, loop, F.keyA)?.get() == Self.valueB)
        #expect(try Self.get(stranger, loop, F.keyA)?.get() == "ffff")

        // A dead endpoint before a live one.
        let fallback = OpenDHTStore(loop: loop, client: client, endpoints: ["http://127.0.0.1:9", dht.proxies[1]])
        #expect(try Self.get(fallback, loop, F.keyA)?.get() == Self.valueB)
        #expect(fallback.calls == 2)
        #expect(try Self.set(fallback, loop, F.keyB, Self.valueA)?.get() != nil)
        #expect(fallback.calls == 4)
        #expect(try Self.get(reader, loop, F.keyB)?.get() == Self.valueA)

        // A key nobody wrote.
        #expect(try Self.get(reader, loop, String(repeating: "0f", count: 20))?.get() == .some(nil))
        #expect(writer.calls == 3 && reader.calls == 6)
    }

    @Test(.timeLimit(.minutes(2))) func aListenHearsAPutThroughTheOtherProxyAndStopsWhenCancelled() throws {
        let dht = try OpenDHTTestNetwork.start()
        defer { dht.stop() }
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        try #require(dht.waitUntilPutsWork(client, loop), "the two dhtnodes never accepted a put")
        let listener = OpenDHTStore(loop: loop, client: client, endpoints: [dht.proxies[0]])
        let writer = OpenDHTStore(loop: loop, client: client, endpoints: [dht.proxies[1]])
        #expect(listener.watchCostsRequests)
        var changes = 0
        let watch = try #require(listener.watch(key: F.keyB) { changes += 1 })
        #expect(changes == 0, "never inside watch")
        #expect(listener.listening == 1)
        // Let the listen reach the proxy, then put through the other one.
        F.drive(loop, timeout: 1) { false }
        #expect(try Self.set(writer, loop, F.keyB, Self.valueA)?.get() != nil)
        F.drive(loop, timeout: 15) { changes > 0 }
        #expect(changes >= 1, "the put reached the listen")
        watch.cancel()
        #expect(listener.listening == 0)
        let seen = changes
        #expect(try Self.set(writer, loop, F.keyB, Self.valueB)?.get() != nil)
        F.drive(loop, timeout: 2) { false }
        #expect(changes == seen, "nothing after cancel")
        // A few listens per store at most: a peer beyond them is polled.
        let many = (0..<OpenDHTStore.maximumListens).compactMap { _ in listener.watch(key: F.keyA) { } }
        #expect(many.count == OpenDHTStore.maximumListens)
        #expect(listener.watch(key: F.keyA) { } == nil)
        for watch in many { watch.cancel() }
        #expect(listener.listening == 0)
    }
}
