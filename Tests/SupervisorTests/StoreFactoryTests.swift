import EventLoop
import Probes
@testable import Supervisor
import Testing

@Suite struct StoreFactoryTests {
    @Test func httpStoresShareTheOneClientMadeOnFirstUse() throws {
        let loop = EventLoop()
        var made: [HTTPClient] = []
        let http = { () throws(CurlLoadError) -> HTTPClient in
            if let client = made.first { return client }
            made.append(try HTTPClient(loop: loop))
            return made[0]
        }
        let file = try StoreFactory.make(name: "f", plugin: .file(directory: "/tmp/x"), loop: loop, http: http)
        #expect(file.0 is FileStore && made.isEmpty)
        let cloudflare = try StoreFactory.make(
            name: "cf", plugin: .cloudflare(zone: "example.com", token: "secret-token", subdomain: "wg", apiURL: nil, dedup: true),
            loop: loop, http: http)
        #expect(cloudflare.0 is CloudflareStore)
        #expect(cloudflare.dedup)
        #expect(cloudflare.0.name == "cloudflare example.com")
        #expect((cloudflare.0 as? CloudflareStore)?.recordName(for: "ab") == "ab.wg.example.com")
        let dht = try StoreFactory.make(
            name: "dht", plugin: .openDHT(endpoints: ["https://dhtproxy.example"], magic: "stunmesh-v1", timeout: 15),
            loop: loop, http: http)
        #expect(dht.0 is OpenDHTStore)
        #expect(!dht.dedup)
        #expect(dht.0.name == "opendht https://dhtproxy.example")
        #expect(made.count == 1)
    }

    @Test func anHTTPStoreWithoutLibcurlIsAConfigErrorNamingThePluginAndTheLoadersText() {
        let loop = EventLoop()
        let missing = CurlLoadError.libraryMissing(library: "libcurl.so.4",
                                                   reason: "libcurl.so.4: cannot open shared object file: No such file or directory")
        let http = { () throws(CurlLoadError) -> HTTPClient in throw missing }
        #expect(throws: ConfigError(keyPath: "plugins.cf", message: missing.description)) {
            try StoreFactory.make(name: "cf", plugin: .cloudflare(zone: "example.com", token: "t", subdomain: nil, apiURL: nil, dedup: true),
                                  loop: loop, http: http)
        }
        #expect(throws: ConfigError(keyPath: "plugins.dht", message: missing.description)) {
            try StoreFactory.make(name: "dht", plugin: .openDHT(endpoints: ["https://dhtproxy.example"], magic: "stunmesh-v1", timeout: 15),
                                  loop: loop, http: http)
        }
        // The other stores never ask for the client.
        #expect(throws: Never.self) {
            _ = try StoreFactory.make(name: "f", plugin: .file(directory: "/tmp/x"), loop: loop, http: http)
            _ = try StoreFactory.make(name: "x", plugin: .exec(command: "/bin/true", args: [], dedup: false), loop: loop, http: http)
            _ = try StoreFactory.make(name: "s", plugin: .shell(command: "/bin/true", args: [], dedup: false), loop: loop, http: http)
        }
    }
}
