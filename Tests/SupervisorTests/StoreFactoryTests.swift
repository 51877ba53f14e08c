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
        #expect(file is FileStore && made.isEmpty)
        let cloudflare = try StoreFactory.make(
            name: "cf", plugin: .cloudflare(zone: "example.com", token: "secret-token", subdomain: "wg", apiURL: nil, dedup: true),
            loop: loop, http: http)
        #expect(cloudflare is CloudflareStore)
        #expect(cloudflare.name == "cloudflare example.com")
        #expect((cloudflare as? CloudflareStore)?.recordName(for: "ab") == "ab.wg.example.com")
        let dht = try StoreFactory.make(
            name: "dht", plugin: .openDHT(endpoints: ["https://dhtproxy.example"], magic: "stunmesh-v1", timeout: 15),
            loop: loop, http: http)
        #expect(dht is OpenDHTStore)
        #expect(dht.name == "opendht https://dhtproxy.example")
        #expect(made.count == 1)
        let exec = try StoreFactory.make(name: "x", plugin: .exec(command: "/bin/true", args: [], dedup: false), loop: loop, http: http)
        let shell = try StoreFactory.make(name: "s", plugin: .shell(command: "/bin/true", dedup: false), loop: loop, http: http)
        #expect(exec.name == "exec /bin/true" && shell.name == "shell /bin/true")
        #expect((exec as? PluginStore)?.pluginProtocol == .exec && (shell as? PluginStore)?.pluginProtocol == .shell)
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

    /// Each kind's descriptor: its timeouts come from the store's own constants, not copies.
    @Test func descriptorsSayWhatEachKindIs() {
        let file = PluginConfig.file(directory: "/x").descriptor(refreshInterval: 600)
        #expect(file.kind == "file" && file.cost == .local && file.budget == nil && file.operationTimeout == FileStoreKind.operationTimeout)
        let exec = PluginConfig.exec(command: "/p", args: [], dedup: false).descriptor(refreshInterval: 600)
        #expect(exec.kind == "exec" && exec.cost == .process && exec.operationTimeout == PluginStore.defaultTimeout + 1)
        let shell = PluginConfig.shell(command: "/p", dedup: true).descriptor(refreshInterval: 600)
        #expect(shell.kind == "shell" && shell.writePolicy == .whenChanged(rewriteAfter: 3600))
        let cloudflare = PluginConfig.cloudflare(zone: "z", token: "t", subdomain: nil, apiURL: nil, dedup: false)
            .descriptor(refreshInterval: 600)
        #expect(cloudflare.kind == "cloudflare" && cloudflare.cost == .meteredAPI)
        #expect(cloudflare.budget == .init(calls: 1200, window: 300))
        #expect(cloudflare.operationTimeout == 31, "three requests of 10 s, plus a second")
        let dht = PluginConfig.openDHT(endpoints: ["http://a", "http://b"], magic: "m", timeout: 15).descriptor(refreshInterval: 600)
        #expect(dht.kind == "opendht" && dht.cost == .publicService && dht.operationTimeout == 31)
        for descriptor in [file, exec, shell, cloudflare, dht] { #expect(descriptor.changes == .polled) }
    }
}
