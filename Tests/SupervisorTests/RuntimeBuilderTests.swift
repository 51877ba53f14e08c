import EventLoop
import Probes
@testable import Supervisor
import Testing

/// The one builder of runtime parts: reuses what did not change, across start and reloads.
@Suite struct RuntimeBuilderTests {
    static let b = ConfigTestKeys.b, c = ConfigTestKeys.zero

    static func config(fileDirectory: String = "/tmp/stunmesh-builder-a", protocol: InterfaceProtocol = .ipv4,
                       backend: WireGuardBackendChoice = .auto, plugins extra: [String: PluginConfig] = [:]) -> Config {
        var plugins: [String: PluginConfig] = [
            "f": .file(directory: fileDirectory),
            "cf": .cloudflare(zone: "example.com", token: "t", subdomain: nil, apiURL: "http://127.0.0.1:9", dedup: false),
        ]
        plugins.merge(extra) { $1 }
        let peers = [PeerConfig(name: "b", publicKeyBase64: b, plugins: ["f", "cf"]),
                     PeerConfig(name: "c", publicKeyBase64: c, plugin: "cf")]
        return Config(stunAddresses: ["203.0.113.1:3478"],
                      interfaces: [InterfaceConfig(name: "wg9", protocol: `protocol`, peers: peers, backend: backend)],
                      plugins: plugins)
    }

    static func everyPeer(_ config: Config) -> Set<PeerID> { Set(ConfigDiff.specs(config).map(\.id)) }

    @Test func unchangedStoresAndInterfacesAreReusedAndTheHTTPClientIsOne() throws {
        let builder = RuntimeBuilder(loop: EventLoop(), logger: .quiet)
        let first = Self.config()
        builder.commit(try builder.plan(first, peers: Self.everyPeer(first)))
        let cloudflare = try #require(builder.running.stores["cf"]?.store)
        let file = try #require(builder.running.stores["f"]?.store)
        let interface = try #require(builder.running.interfaces["wg9"])
        let client = try #require(builder.httpClientForTests)

        // A reload that moves the file store's directory and adds an OpenDHT store.
        let second = Self.config(fileDirectory: "/tmp/stunmesh-builder-b",
                                 plugins: ["dht": .openDHT(endpoints: ["http://127.0.0.1:9"], magic: "m", timeout: 1)])
        let diff = ConfigDiff(old: first, new: second)
        #expect(diff.changed == [PeerID(interface: "wg9", peer: "b")], "only b uses the moved store")
        let plan = try builder.plan(second, peers: Set(diff.start))
        #expect(plan.peers.keys.sorted { $0.peer < $1.peer } == [PeerID(interface: "wg9", peer: "b")])
        builder.commit(plan)
        #expect(builder.running.stores["cf"]?.store === cloudflare, "same Cloudflare store: same budget")
        #expect(builder.running.stores["f"]?.store !== file, "a changed store is made anew")
        #expect(builder.running.stores["dht"]?.store is OpenDHTStore)
        #expect(builder.httpClientForTests === client, "one HTTP client for every HTTP store, across reloads")
        #expect(builder.running.interfaces["wg9"] === interface)
        #expect(plan.peers.values.first?.interface === interface, "new peers run on the running interface")
    }

    @Test func aReusedInterfaceTakesItsNewProtocolAtCommit() throws {
        let builder = RuntimeBuilder(loop: EventLoop(), logger: .quiet)
        let first = Self.config()
        builder.commit(try builder.plan(first, peers: Self.everyPeer(first)))
        let interface = try #require(builder.running.interfaces["wg9"])
        let dual = Self.config(protocol: .dualstack)
        let plan = try builder.plan(dual, peers: Set(ConfigDiff(old: first, new: dual).start))
        #expect(interface.protocol == .ipv4, "planning touches nothing running")
        builder.commit(plan)
        #expect(builder.running.interfaces["wg9"] === interface && interface.protocol == .dualstack)
        let kernel = Self.config(protocol: .dualstack, backend: .kernel)
        builder.commit(try builder.plan(kernel, peers: Set(ConfigDiff(old: dual, new: kernel).start)))
        #expect(builder.running.interfaces["wg9"] !== interface, "another backend choice: a new interface runtime")
    }

    @Test func aPartThatCannotBeMadeRejectsThePlanAndLeavesTheRunningSet() throws {
        let builder = RuntimeBuilder(loop: EventLoop(), logger: .quiet)
        let first = Self.config()
        builder.commit(try builder.plan(first, peers: Self.everyPeer(first)))
        var bad = Self.config(fileDirectory: "/tmp/elsewhere")
        bad.interfaces[0].peers[1].publicKeyBase64 = "not a key"
        #expect(throws: ConfigError.self) { _ = try builder.plan(bad, peers: Self.everyPeer(bad)) }
        #expect(builder.running.stores["f"]?.config == .file(directory: "/tmp/stunmesh-builder-a"))
    }
}
