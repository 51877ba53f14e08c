import EventLoop
import Glibc
import JSON
@testable import Probes
import Testing

/// CloudflareStore against tests/support/fake_cloudflare.py, a local stand-in for the v4 API
/// endpoints the store uses (the real API cannot be reached from the test machine).
@Suite struct CloudflareStoreTests {
    typealias F = StoreFixture
    static let zoneID = FakeCloudflare.zoneID

    /// A loop, a client, the server and a store on it; `stop()` kills the server.
    final class Rig {
        let loop = EventLoop()
        let client: HTTPClient
        let server: FakeCloudflare
        let store: CloudflareStore

        init(subdomain: String? = "mesh", timeout: Double = 5, callLimit: Int = 1200) throws {
            client = try HTTPClient(loop: loop)
            server = try FakeCloudflare(loop: loop, client: client)
            store = CloudflareStore(loop: loop, client: client, zone: FakeCloudflare.zone, token: FakeCloudflare.token,
                                    subdomain: subdomain, apiURL: server.apiURL, timeout: timeout, callLimit: callLimit)
        }

        func stop() { server.stop() }

        func get(_ key: String) -> Result<String?, StoreError>? {
            var result: Result<String?, StoreError>?
            store.get(key: key) { result = $0 }
            #expect(result == nil, "completion ran inside get")
            F.drive(loop, timeout: 20) { result != nil }
            return result
        }

        func set(_ key: String, _ value: String) -> Result<Void, StoreError>? {
            var result: Result<Void, StoreError>?
            store.set(key: key, value: value) { result = $0 }
            #expect(result == nil, "completion ran inside set")
            F.drive(loop, timeout: 20) { result != nil }
            return result
        }

        /// "METHOD path" of each call the server got.
        func callLines() -> [String] {
            server.calls().map { "\($0["method"]?.stringValue ?? "?") \($0["path"]?.stringValue ?? "?")" }
        }
    }

    static func failure<T>(_ result: Result<T, StoreError>?) -> StoreError? {
        if case .failure(let error)? = result { return error }
        return nil
    }

    static let valueA = "9f2c" + String(repeating: "0a", count: 40)
    static let valueB = "77e1" + String(repeating: "b3", count: 40)

    @Test func setCreatesTheRecordStunmeshGoWrites() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let fqdn = "\(F.keyA).mesh.example.com"
        #expect(rig.store.recordName(for: F.keyA) == fqdn)
        #expect(rig.store.name == "cloudflare example.com")
        #expect(try rig.set(F.keyA, Self.valueA)?.get() != nil)
        #expect(rig.callLines() == [
            "GET /client/v4/zones?name=example.com",
            "GET /client/v4/zones/\(Self.zoneID)/dns_records?type=TXT&name=\(fqdn)",
            "POST /client/v4/zones/\(Self.zoneID)/dns_records",
        ])
        let calls = rig.server.calls()
        #expect(calls.last?["body"] == .string(#"{"type":"TXT","name":"\#(fqdn)","content":"\#(Self.valueA)","comment":"Stunmesh"}"#))
        for call in calls {
            #expect(call["authorization"] == .string("Bearer \(FakeCloudflare.token)"))
            #expect(call["content_type"] == .string("application/json"))
        }
        let records = rig.server.records()
        #expect(records.count == 1)
        #expect(records.first?["type"] == .string("TXT"))
        #expect(records.first?["name"] == .string(fqdn))
        #expect(records.first?["content"] == .string(Self.valueA))
        #expect(records.first?["comment"] == .string("Stunmesh"))
        #expect(rig.store.calls == 3)
    }

    @Test func theZoneIsLookedUpOnceAndAChangedRecordCostsOnePatch() throws {
        let rig = try Rig(subdomain: nil)
        defer { rig.stop() }
        let fqdn = "\(F.keyB).example.com"
        #expect(try rig.set(F.keyB, Self.valueA)?.get() != nil)
        #expect(try rig.get(F.keyB)?.get() == Self.valueA)
        #expect(try rig.set(F.keyB, Self.valueB)?.get() != nil)
        #expect(try rig.get(F.keyB)?.get() == Self.valueB)
        #expect(try rig.get(F.keyA)?.get() == .some(nil))
        let lines = rig.callLines()
        #expect(lines.filter { $0.contains("/zones?name=") }.count == 1)
        #expect(lines.count == 7, "\(lines)")  // zone, find, POST, find, PATCH, find, find
        let patch = rig.server.calls().first { $0["method"] == .string("PATCH") }
        let id = rig.server.records().first?["id"]?.stringValue ?? "?"
        #expect(patch?["path"] == .string("/client/v4/zones/\(Self.zoneID)/dns_records/\(id)"))
        #expect(patch?["body"] == .string(#"{"content":"\#(Self.valueB)"}"#))
        #expect(rig.server.records().map { $0["name"] } == [.string(fqdn)])
        #expect(rig.store.calls == 7)
    }

    @Test func concurrentCallsShareOneZoneLookup() throws {
        let rig = try Rig()
        defer { rig.stop() }
        var results: [Result<String?, StoreError>] = []
        rig.store.get(key: F.keyA) { results.append($0) }
        rig.store.get(key: F.keyB) { results.append($0) }
        F.drive(rig.loop) { results.count == 2 }
        #expect(results.count == 2)
        #expect(results.allSatisfy { (try? $0.get()) == .some(nil) })
        #expect(rig.callLines().filter { $0.contains("/zones?name=") }.count == 1)
    }

    @Test func writingTheSameValueAgainWritesNothing() throws {
        let rig = try Rig()
        defer { rig.stop() }
        #expect(try rig.set(F.keyA, Self.valueA)?.get() != nil)
        #expect(try rig.set(F.keyA, Self.valueA)?.get() != nil)
        let methods = rig.server.calls().compactMap { $0["method"]?.stringValue }
        #expect(methods == ["GET", "GET", "POST", "GET"])
    }

    @Test func aRecordDeletedBehindOurBackIsCreatedAgain() throws {
        let rig = try Rig()
        defer { rig.stop() }
        #expect(try rig.set(F.keyA, Self.valueA)?.get() != nil)
        rig.server.control([("records", .array([]))])
        #expect(try rig.set(F.keyA, Self.valueB)?.get() != nil)
        let methods = rig.server.calls().compactMap { $0["method"]?.stringValue }
        #expect(methods == ["GET", "GET", "POST", "PATCH", "GET", "POST"])
        #expect(rig.server.records().map { $0["content"] } == [.string(Self.valueB)])
    }

    @Test func quotedAndSplitTXTContentIsRead() throws {
        let rig = try Rig()
        defer { rig.stop() }
        func record(_ key: String, _ content: String) -> JSONValue {
            .object([("id", .string("rec\(key.prefix(4))")), ("type", .string("TXT")),
                     ("name", .string("\(key).mesh.example.com")), ("content", .string(content))])
        }
        rig.server.control([("records", .array([record(F.keyA, "\"9f2c0a0a\" \"0b0c\""), record(F.keyB, " \"00ff\"\n")]))])
        #expect(try rig.get(F.keyA)?.get() == "9f2c0a0a0b0c")
        #expect(try rig.get(F.keyB)?.get() == "00ff")
        // The record we read quoted is rewritten raw.
        #expect(try rig.set(F.keyB, "00ff")?.get() != nil)
        #expect(try rig.set(F.keyB, "00fe")?.get() != nil)
        #expect(rig.server.records().last?["content"] == .string("00fe"))
    }

    @Test func aMissingZoneOrRecordIsReported() throws {
        let rig = try Rig()
        defer { rig.stop() }
        #expect(try rig.get(F.keyA)?.get() == .some(nil))
        let other = CloudflareStore(loop: rig.loop, client: rig.client, zone: "example.org", token: FakeCloudflare.token,
                                    apiURL: rig.server.apiURL)
        var result: Result<String?, StoreError>?
        other.get(key: F.keyA) { result = $0 }
        F.drive(rig.loop) { result != nil }
        #expect(Self.failure(result)?.message.contains("zone example.org not found") == true, "\(String(describing: result))")
    }

    @Test func cloudflareErrorsAreStoreErrorsWithoutTheToken() throws {
        let rig = try Rig()
        defer { rig.stop() }
        // A server that echoes the Authorization header in its error: the token must not leak.
        rig.server.control([("mode", .string("error")), ("error_message", .string("DNS name is invalid; got {auth}"))])
        let failures = [Self.failure(rig.get(F.keyA)), Self.failure(rig.set(F.keyA, Self.valueA))]
        for error in failures {
            guard let error else { Issue.record("an API error was not a failure"); continue }
            #expect(error.message.contains("DNS name is invalid"), "\(error)")
            #expect(error.message.contains("code 1004"), "\(error)")
            #expect(error.message.contains("HTTP 400"), "\(error)")
            #expect(!error.message.contains(FakeCloudflare.token), "the token leaked: \(error)")
            #expect(error.message.contains("<redacted>"))
        }
        // A wrong token: Cloudflare's 403 and message, and no token either.
        let wrong = CloudflareStore(loop: rig.loop, client: rig.client, zone: FakeCloudflare.zone, token: "wrong-secret-token",
                                    apiURL: rig.server.apiURL)
        rig.server.control([("mode", .string("ok"))])
        var result: Result<String?, StoreError>?
        wrong.get(key: F.keyA) { result = $0 }
        F.drive(rig.loop) { result != nil }
        let error = Self.failure(result)
        #expect(error?.message.contains("Invalid access token") == true, "\(String(describing: error))")
        #expect(error?.message.contains("wrong-secret-token") == false)
    }

    @Test func http429BlocksEveryCallForFiveMinutes() throws {
        let rig = try Rig()
        defer { rig.stop() }
        #expect(try rig.get(F.keyA)?.get() == .some(nil))
        #expect(rig.store.budget.blockedUntil == nil)
        rig.server.control([("mode", .string("429"))])
        let first = Self.failure(rig.get(F.keyA))
        #expect(first?.message.contains("HTTP 429") == true, "\(String(describing: first))")
        let budget = rig.store.budget
        let blockedUntil = try #require(budget.blockedUntil)
        #expect(blockedUntil - rig.loop.now > 299 && blockedUntil - rig.loop.now <= 300)
        #expect(budget.used == 3)
        // Blocked: nothing reaches the server, even after it has recovered.
        rig.server.control([("mode", .string("ok"))])
        let before = rig.server.calls().count
        let blocked = Self.failure(rig.get(F.keyB))
        let blockedSet = Self.failure(rig.set(F.keyB, Self.valueA))
        #expect(blocked?.message.contains("blocked") == true, "\(String(describing: blocked))")
        #expect(blockedSet?.message.contains("blocked") == true)
        #expect(rig.server.calls().count == before)
        #expect(rig.store.calls == 3)
        // A longer Retry-After is honoured.
        let other = try Rig()
        defer { other.stop() }
        other.server.control([("mode", .string("429")), ("retry_after", .number(900))])
        _ = other.get(F.keyA)
        #expect((other.store.budget.blockedUntil ?? 0) - other.loop.now > 899)
        // A hostile Retry-After neither traps nor locks the store out for ever: an hour at most.
        let hostile = try Rig()
        defer { hostile.stop() }
        hostile.server.control([("mode", .string("429")), ("retry_after", .number(1e19))])
        _ = hostile.get(F.keyA)
        let until = (hostile.store.budget.blockedUntil ?? 0) - hostile.loop.now
        #expect(until > 299 && until <= CloudflareStore.longestRetryAfter)
    }

    @Test func theBudgetIsCountedInASlidingWindowAndStopsShortOfTheLimit() throws {
        let rig = try Rig(callLimit: 10)
        defer { rig.stop() }
        rig.store.limits.window = 0.6
        #expect(rig.store.budget.used == 0 && rig.store.budget.blockedUntil == nil)
        // The zone lookup and 7 gets: 8 calls; one more reaches 90 % of 10.
        for _ in 0..<8 { #expect(try rig.get(F.keyA)?.get() == .some(nil)) }
        #expect(rig.store.budget.used == 9)
        #expect(rig.store.budget.limit == 10)
        let refused = Self.failure(rig.get(F.keyA))
        #expect(refused?.message.contains("9 of 10 API calls") == true, "\(String(describing: refused))")
        #expect(rig.server.calls().count == 9)
        #expect(rig.store.calls == 9)
        // Once the window has slid past those calls, calls go out again.
        F.drive(rig.loop, timeout: 0.7) { false }
        #expect(rig.store.budget.used == 0)
        #expect(try rig.get(F.keyA)?.get() == .some(nil))
        #expect(rig.store.budget.used == 1)
        #expect(rig.server.calls().count == 10)
    }

    @Test func malformedJSONIsAnErrorNotACrash() throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.server.control([("mode", .string("malformed"))])
        let error = Self.failure(rig.get(F.keyA))
        #expect(error?.message.contains("not a JSON object") == true, "\(String(describing: error))")
        // Well-formed JSON of the wrong shape too.
        rig.server.control([("mode", .string("ok")), ("records", .array([.object([("id", .number(5)), ("content", .string("00")),
            ("type", .string("TXT")), ("name", .string("\(F.keyB).mesh.example.com"))])]))])
        let shape = Self.failure(rig.get(F.keyB))
        #expect(shape?.message.contains("unexpected reply") == true, "\(String(describing: shape))")
    }

    @Test func aSlowServerTimesOutWithoutStallingTheLoop() throws {
        let rig = try Rig(timeout: 0.5)
        defer { rig.stop() }
        rig.server.control([("mode", .string("slow")), ("delay", .number(2))])
        var ticks = 0
        let ticker = TimerWatcher(loop: rig.loop) { ticks += 1 }
        ticker.start(after: 0.05, repeat: 0.05)
        let started = F.now()
        let error = Self.failure(rig.get(F.keyA))
        #expect(F.now() - started < 1.5)
        #expect(error?.message.contains("timed out") == true, "\(String(describing: error))")
        #expect(ticks >= 5)
    }

    @Test func badKeysAreRefusedWithoutACall() throws {
        let rig = try Rig()
        defer { rig.stop() }
        #expect(Self.failure(rig.get("../zones")) != nil)
        #expect(Self.failure(rig.set(F.keyA.uppercased(), "00")) != nil)
        #expect(rig.store.calls == 0)
    }

    @Test func contentIsCleanedAndQueriesEscaped() {
        #expect(CloudflareAnswer.cleanedContent("\"ab\" \"cd\"\t\r\n") == "abcd")
        #expect(CloudflareStore.queryEscaped("a b&c=d.example-1_~") == "a%20b%26c%3Dd.example-1_~")
        #expect(CloudflareStore.redacted("x SECRET y SECRETSECRET", "SECRET") == "x <redacted> y <redacted><redacted>")
        #expect(!CloudflareAnswer.isIdentifier("../x") && CloudflareAnswer.isIdentifier(FakeCloudflare.zoneID))
    }
}
