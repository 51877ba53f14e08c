import EventLoop
import Probes
@testable import Supervisor
import Testing

@Suite struct StoreFactoryTests {
    @Test func httpStoresShareTheOneClientMadeOnFirstUse() throws {
        let loop = EventLoop()
        var made: [HTTPClient] = []
        let http = { () -> HTTPClient in
            if let client = made.first { return client }
            made.append(HTTPClient(loop: loop))
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
}
