import CLinuxNet
import EventLoop
import Glibc
import JSON
import Probes
import SystemCalls
import Testing

@Suite struct HTTPClientTests {
    typealias F = StoreFixture
    typealias H = HTTPFixture

    @Test func aServerThatNeverAnswersTimesOutWhileTheLoopKeepsRunning() throws {
        // A listening socket nobody accepts on: the kernel completes the handshake and takes the
        // request, and no answer ever comes.
        let listener = try Sys.socket(AF_INET, clinuxnet_sock_stream(), 0)
        defer { Sys.close(listener) }
        let port = try H.bindLoopback(listener)
        #expect(listen(listener, 8) == 0)
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        var ticks = 0
        let ticker = TimerWatcher(loop: loop) { ticks += 1 }
        ticker.start(after: 0.05, repeat: 0.05)
        let started = F.now()
        let result = H.send(client, loop, HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/", timeout: 0.5))
        let elapsed = F.now() - started
        guard case .failure(let error)? = result else { Issue.record("expected a timeout, got \(String(describing: result))"); return }
        #expect(error.code == 28, "\(error)")  // CURLE_OPERATION_TIMEDOUT
        #expect(elapsed >= 0.45 && elapsed < 3, "took \(elapsed) s")
        #expect(ticks >= 5, "the loop ran only \(ticks) timer ticks while waiting")
        #expect(client.pending == 0)
    }

    @Test func aRefusedConnectionIsAnError() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let port = try H.closedPort()
        let result = H.send(client, loop, HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/", timeout: 5))
        guard case .failure(let error)? = result else { Issue.record("expected a failure, got \(String(describing: result))"); return }
        #expect(error.code == 7, "\(error)")  // CURLE_COULDNT_CONNECT
    }

    @Test func requestsRunConcurrently() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client)
        defer { server.stop() }
        server.control([("mode", .string("slow")), ("delay", .number(0.6))])
        let request = HTTPRequest(method: "GET", url: server.apiURL + "/zones?name=example.com",
                                  headers: ["Authorization: Bearer \(FakeCloudflare.token)"], timeout: 10)
        var results: [Result<HTTPResponse, HTTPError>] = []
        let started = F.now()
        for _ in 0..<6 { client.send(request) { results.append($0) } }
        #expect(client.pending == 6)
        F.drive(loop, timeout: 10) { results.count == 6 }
        let elapsed = F.now() - started
        #expect(results.count == 6)
        for result in results {
            guard case .success(let response) = result else { Issue.record("\(result)"); continue }
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect((try? JSONValue(parsing: response.text))?["success"] == .bool(true))
        }
        // One after the other would take 3.6 s.
        #expect(elapsed < 2.5, "6 requests of 0.6 s took \(elapsed) s")
        #expect(server.calls().count == 6)
    }

    @Test func aCancelledRequestNeverCompletes() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client)
        defer { server.stop() }
        server.control([("mode", .string("slow")), ("delay", .number(0.5))])
        var completed = false
        let token = client.send(HTTPRequest(method: "GET", url: server.apiURL + "/zones?name=example.com", timeout: 5)) { _ in
            completed = true
        }
        // Let the request get going, then cancel it.
        F.drive(loop, timeout: 0.1) { false }
        client.cancel(token)
        #expect(client.pending == 0)
        F.drive(loop, timeout: 1) { completed }
        #expect(!completed)
        // Cancelling an answered request does nothing; the client still works.
        server.control([("mode", .string("ok"))])
        var answered: Result<HTTPResponse, HTTPError>?
        let second = client.send(HTTPRequest(method: "GET", url: server.baseURL + "/__bytes?n=3", timeout: 5)) { answered = $0 }
        F.drive(loop) { answered != nil }
        client.cancel(second)
        #expect((try? answered?.get())?.body == Array("xxx".utf8))
    }

    @Test func completionsRunOnTheLoopNeverInsideSend() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        var result: Result<HTTPResponse, HTTPError>?
        client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", headers: ["X-Bad: a\r\nInjected: b"], timeout: 1)) { result = $0 }
        #expect(result == nil, "completion ran inside send")
        F.drive(loop) { result != nil }
        guard case .failure(let error)? = result else { Issue.record("a header with CR LF was sent"); return }
        #expect(error.message.contains("CR or LF"))
        for bad in ["ftp://127.0.0.1/", "file:///etc/passwd", "127.0.0.1/"] {
            var refused: Result<HTTPResponse, HTTPError>?
            client.send(HTTPRequest(method: "GET", url: bad, timeout: 1)) { refused = $0 }
            #expect(refused == nil)
            F.drive(loop) { refused != nil }
            #expect((try? refused?.get()) == nil, "\(bad) was fetched")
        }
    }

    @Test func responsesAreBoundedInSize() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client)
        defer { server.stop() }
        // With a Content-Length libcurl refuses at once; a chunked body is cut off as it arrives.
        for chunked in ["", "&chunked=1"] {
            let fits = H.send(client, loop, HTTPRequest(method: "GET", url: server.baseURL + "/__bytes?n=2000" + chunked,
                                                        maximumResponseSize: 2000))
            #expect((try? fits?.get())?.body.count == 2000)
            let tooBig = H.send(client, loop, HTTPRequest(method: "GET", url: server.baseURL + "/__bytes?n=2001" + chunked,
                                                          maximumResponseSize: 2000))
            guard case .failure(let error)? = tooBig else { Issue.record("an oversized body was accepted"); return }
            #expect(error.message.contains("larger than 2000 bytes"), "\(error)")
        }
    }

    @Test func tlsIsVerifiedAndACAFileCanBeGiven() throws {
        let directory = F.temporaryDirectory()
        defer { F.removeTree(directory) }
        let cert = directory + "/cert.pem", key = directory + "/key.pem"
        let status = H.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert])
        try #require(status == 0, "openssl could not make a test certificate")
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client, tls: (cert, key))
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/__bytes?n=5"
        let unverified = H.send(client, loop, HTTPRequest(method: "GET", url: url, timeout: 10))
        guard case .failure(let error)? = unverified else { Issue.record("a self-signed server was trusted"); return }
        #expect(error.code == 60, "\(error)")  // CURLE_PEER_FAILED_VERIFICATION
        let verified = H.send(client, loop, HTTPRequest(method: "GET", url: url, timeout: 10, caFile: cert))
        #expect((try? verified?.get())?.body == Array("xxxxx".utf8), "\(String(describing: verified))")
    }

    @Test func methodsBodiesAndHeadersReachTheServer() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client)
        defer { server.stop() }
        let auth = "Authorization: Bearer \(FakeCloudflare.token)"
        let base = server.apiURL + "/zones/\(FakeCloudflare.zoneID)/dns_records"
        let created = H.send(client, loop, HTTPRequest(method: "POST", url: base, headers: [auth, "Content-Type: application/json"],
                                                       body: Array(#"{"type":"TXT","name":"a.example.com","content":"00"}"#.utf8)))
        let id = (try? created?.get()).flatMap { try? JSONValue(parsing: $0.text) }?["result"]?["id"]?.stringValue
        try #require(id != nil, "\(String(describing: created))")
        let patched = H.send(client, loop, HTTPRequest(method: "PATCH", url: base + "/" + id!, headers: [auth],
                                                       body: Array(#"{"content":"ff"}"#.utf8)))
        #expect((try? patched?.get())?.status == 200)
        let calls = server.calls()
        #expect(calls.map { $0["method"]?.stringValue } == ["POST", "PATCH"])
        #expect(calls.first?["body"] == .string(#"{"type":"TXT","name":"a.example.com","content":"00"}"#))
        #expect(calls.first?["content_type"] == .string("application/json"))
        #expect(calls.last?["body"] == .string(#"{"content":"ff"}"#))
        #expect(server.records().first?["content"] == .string("ff"))
    }
}
