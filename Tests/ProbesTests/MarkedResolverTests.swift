import EventLoop
import Glibc
@testable import Probes
import Testing

/// Name resolution on marked sockets (c-ares) for the HTTP stores, and the URL reading it needs.
/// The marked DNS queries themselves, through a full tunnel's routing policy, are proven end to end
/// (tests/e2e/test_full_tunnel.sh); here names come from /etc/hosts.
@Suite struct MarkedResolverTests {
    typealias F = StoreFixture
    typealias H = HTTPFixture

    static let urls: [(String, URLHost?)] = [
        ("http://dht.example:8080/key/ab", URLHost(host: "dht.example", port: 8080, isName: true)),
        ("https://api.cloudflare.com/client/v4", URLHost(host: "api.cloudflare.com", port: 443, isName: true)),
        ("HTTP://Example.COM", URLHost(host: "Example.COM", port: 80, isName: true)),
        ("http://203.0.113.5:4222/x?y#z", URLHost(host: "203.0.113.5", port: 4222, isName: false)),
        ("http://[2001:db8::5]:80/", URLHost(host: "2001:db8::5", port: 80, isName: false)),
        ("https://[::1]/", URLHost(host: "::1", port: 443, isName: false)),
        ("http://user:pw@host.example:81/", URLHost(host: "host.example", port: 81, isName: true)),
        ("http://host.example:0/", nil), ("http://host.example:65536/", nil), ("http://host.example:x/", nil),
        ("http:///path", nil), ("ftp://host.example/", nil), ("http://[::1/", nil), ("http://[::1]x/", nil),
    ]

    @Test(arguments: urls)
    func urlHosts(url: String, expected: URLHost?) {
        #expect(URLHost(url) == expected)
    }

    @Test func namesResolveOnTheLoopAndAreKeptForTheirLifetime() throws {
        let loop = EventLoop()
        let resolver = try MarkedResolver(loop: loop)
        var answers: [Result<String, HTTPError>] = []
        resolver.resolve("localhost", mark: 0x5eed) { answers.append($0) }
        #expect(answers.isEmpty, "never inside resolve()")
        F.drive(loop, timeout: 10) { answers.count == 1 }
        guard case .success(let addresses)? = answers.first else { Issue.record("\(answers)"); return }
        #expect(addresses.hasPrefix("127.0.0.1"), "\(addresses)")
        resolver.resolve("localhost", mark: 0x5eed) { answers.append($0) }
        F.drive(loop, timeout: 10) { answers.count == 2 }
        #expect(resolver.lookups == 1, "the second answer comes from the cache")
        resolver.resolve("localhost", mark: 0x1) { answers.append($0) }
        F.drive(loop, timeout: 10) { answers.count == 3 }
        #expect(resolver.lookups == 2, "another mark is another route: asked again")
    }

    @Test func aCancelledLookupNeverCompletes() throws {
        let loop = EventLoop()
        let resolver = try MarkedResolver(loop: loop)
        var completed = false
        let token = resolver.resolve("localhost", mark: 7) { _ in completed = true }
        resolver.cancel(token)
        var later = false
        resolver.resolve("localhost", mark: 7) { _ in later = true }
        F.drive(loop, timeout: 10) { later }
        #expect(later && !completed)
    }

    @Test func oneQueryServesEveryoneAskingAtOnce() throws {
        let loop = EventLoop()
        let resolver = try MarkedResolver(loop: loop)
        var answers: [String] = []
        var cancelled = false
        resolver.resolve("localhost", mark: 9) { answers.append((try? $0.get()) ?? "failed") }
        let token = resolver.resolve("localhost", mark: 9) { _ in cancelled = true }
        resolver.resolve("localhost", mark: 9) { answers.append((try? $0.get()) ?? "failed") }
        resolver.cancel(token)
        F.drive(loop, timeout: 10) { answers.count == 2 }
        #expect(resolver.lookups == 1)
        #expect(answers.count == 2 && answers.allSatisfy { $0.hasPrefix("127.0.0.1") }, "\(answers)")
        #expect(!cancelled)
    }

    @Test func aMissingLibraryIsExplained() {
        #expect(throws: ResolverLoadError.self) { try CAresLibrary.open("libcares-not-here.so.9") }
        do { try CAresLibrary.open("libcares-not-here.so.9") } catch {
            #expect(error.description.contains("install libc-ares2"), "\(error)")
        }
        do { try CAresLibrary.open("libz.so.1") } catch {
            #expect(error.description.contains("has no function ares_"), "\(error)")
        }
    }

    /// A marked request to a host name goes out with libcurl told the addresses c-ares found (SO_MARK
    /// needs CAP_NET_ADMIN: root, as the daemon and CI run).
    @Test(.enabled(if: getuid() == 0)) func markedRequestsUseTheMarkedResolver() throws {
        let loop = EventLoop()
        let client = try HTTPClient(loop: loop)
        let server = try FakeCloudflare(loop: loop, client: client)
        defer { server.stop() }
        client.socketMark = { 0x5eed }
        var notices: [String] = []
        client.notice = { notices.append($0) }
        let url = "http://localhost:\(server.port)/client/v4/zones?name=example.com"
        let request = HTTPRequest(method: "GET", url: url, headers: ["Authorization: Bearer \(FakeCloudflare.token)"], timeout: 10)
        let result = H.send(client, loop, request)
        guard case .success(let response)? = result else { Issue.record("\(String(describing: result))"); return }
        #expect(response.status == 200)
        #expect(client.markedLookups == 1)
        #expect(client.pending == 0)
        // Without a mark libcurl resolves by itself.
        client.socketMark = { 0 }
        _ = H.send(client, loop, request)
        #expect(client.markedLookups == 1)
        // Cancelled while its name is being looked up: never completes, nothing left in flight.
        client.socketMark = { 0x77 }
        var completed = false
        let token = client.send(request) { _ in completed = true }
        client.cancel(token)
        F.drive(loop, timeout: 1) { false }
        #expect(!completed && client.pending == 0)
        #expect(notices.isEmpty, "\(notices)")
    }
}

