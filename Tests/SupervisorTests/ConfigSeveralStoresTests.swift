@testable import Supervisor
import Testing

/// `plugins: [a, b]` on a peer (several stores) and the opendht `republish_interval`.
@Suite struct ConfigSeveralStoresTests {
    static func yaml(peer: String, dht: String = "") -> String {
        """
        stun: { addresses: ["stun.example:3478"] }
        interfaces:
          wg0:
            peers:
              peer_b:
                public_key: "\(ConfigTestKeys.b)"
                \(peer)
        plugins:
          cf: { type: builtin, name: cloudflare, zone: example.com, token: "\(ConfigTestKeys.token)" }
          dht: { type: builtin, name: opendht, endpoints: ["http://h:8080"]\(dht) }
          fs: { type: builtin, name: file, directory: /tmp/x }
        """
    }

    static let peer = "interfaces.wg0.peers.peer_b"

    func error(_ yaml: String) -> ConfigError? {
        do {
            let config = try ConfigLoader.parse(yaml: yaml, file: "config.yaml")
            Issue.record("parsed: \(config)")
            return nil
        } catch {
            return error
        }
    }

    @Test func aPeerMayNameSeveralStoresInOrder() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(peer: "plugins: [dht, cf, fs]"))
        let peer = try #require(config.interfaces.first?.peers.first)
        #expect(peer.plugins == ["dht", "cf", "fs"])
        #expect(peer.plugin == "dht")
        let one = try ConfigLoader.parse(yaml: Self.yaml(peer: "plugin: cf"))
        #expect(one.interfaces.first?.peers.first?.plugins == ["cf"])
        let block = try ConfigLoader.parse(yaml: Self.yaml(peer: "plugins:\n          - cf\n          - dht"))
        #expect(block.interfaces.first?.peers.first?.plugins == ["cf", "dht"])
    }

    @Test func errorsNameTheKey() {
        let cases: [(String, String, String)] = [
            ("plugin: cf\n        plugins: [dht]", "\(Self.peer).plugins", "give plugin (and extra_plugins), not plugins too"),
            ("plugins: []", "\(Self.peer).plugins", "must name at least one plugin"),
            ("plugins: [cf, nope]", "\(Self.peer).plugins[1]", "no plugin named \"nope\" under plugins"),
            ("plugins: [cf, dht, cf]", "\(Self.peer).plugins[2]", "names plugin \"cf\" twice"),
            ("plugins: [cf, \"\"]", "\(Self.peer).plugins[1]", "must not be empty"),
            ("plugins: cf", "\(Self.peer).plugins", "must be a list, not a scalar"),
            ("keepalive: 5", "\(Self.peer).plugin", "is required (a name under plugins)"),
        ]
        for (peer, keyPath, message) in cases {
            let failure = error(Self.yaml(peer: peer))
            #expect(failure?.keyPath == keyPath, "\(peer)")
            #expect(failure?.message == message, "\(peer)")
        }
    }

    @Test func openDHTRepublishInterval() throws {
        let parsed = try ConfigLoader.parse(yaml: Self.yaml(peer: "plugin: dht", dht: ", republish_interval: 4m"))
        #expect(parsed.plugins["dht"] == .openDHT(endpoints: ["http://h:8080"], magic: "stunmesh-v1", timeout: 15, republishInterval: 240))
        let defaults = try ConfigLoader.parse(yaml: Self.yaml(peer: "plugin: dht"))
        #expect(defaults.plugins["dht"] == .openDHT(endpoints: ["http://h:8080"], magic: "stunmesh-v1", timeout: 15, republishInterval: 300))
        let tooLong = error(Self.yaml(peer: "plugin: dht", dht: ", republish_interval: 10m"))
        #expect(tooLong?.keyPath == "plugins.dht.republish_interval")
        #expect(tooLong?.message.contains("shorter than 10m") == true)
    }
}
