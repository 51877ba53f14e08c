import Supervisor
import SystemCalls
import Testing

/// What a reload changes, peer by peer.
@Suite struct OpsConfigDiffTests {
    static let a = ConfigTestKeys.a, b = ConfigTestKeys.b, zero = ConfigTestKeys.zero

    static func config(peers: [(String, String, PeerConfig)], plugins: [String: PluginConfig]? = nil,
                       stun: [String] = ["203.0.113.1:3478"]) -> Config {
        var interfaces: [InterfaceConfig] = []
        for (interface, _, peer) in peers {
            if let index = interfaces.firstIndex(where: { $0.name == interface }) {
                interfaces[index].peers.append(peer)
            } else {
                interfaces.append(InterfaceConfig(name: interface, peers: [peer]))
            }
        }
        return Config(stunAddresses: stun, interfaces: interfaces,
                      plugins: plugins ?? ["store": .file(directory: "/var/lib/s"), "other": .file(directory: "/o")])
    }

    static func peer(_ name: String, _ key: String, plugin: String = "store", keepalive: Int = 25) -> (String, String, PeerConfig) {
        ("wg0", name, PeerConfig(name: name, publicKeyBase64: key, plugin: plugin, keepalive: keepalive))
    }

    func ids(_ names: String...) -> [PeerID] { names.map { PeerID(interface: "wg0", peer: $0) } }

    @Test func sameConfigChangesNothing() {
        let config = Self.config(peers: [Self.peer("b", Self.b)])
        let diff = ConfigDiff(old: config, new: config)
        #expect(diff.isEmpty)
        #expect(diff.unchanged == ids("b"))
        #expect(diff.refusal == nil)
    }

    @Test func addedAndRemovedPeers() {
        let old = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero)])
        let new = Self.config(peers: [Self.peer("b", Self.b), Self.peer("d", Self.a)])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.start == ids("d"))
        #expect(diff.stop == ids("c"))
        #expect(diff.unchanged == ids("b"))
        #expect(diff.changed.isEmpty)
    }

    @Test func changedSettingsRestartOnlyThatPeer() {
        let old = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero)])
        let new = Self.config(peers: [Self.peer("b", Self.b, keepalive: 10), Self.peer("c", Self.zero)])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.changed == ids("b"))
        #expect(diff.start == ids("b"))
        #expect(diff.stop == ids("b"))
        #expect(diff.unchanged == ids("c"))
    }

    @Test func aChangedPluginRestartsItsPeers() {
        let old = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero, plugin: "other")])
        let new = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero, plugin: "other")],
                              plugins: ["store": .file(directory: "/var/lib/s"), "other": .file(directory: "/moved")])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.changed == ids("c"))
        #expect(diff.unchanged == ids("b"))
    }

    @Test func sharedSettingsRestartEveryone() {
        let old = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero)])
        let new = Self.config(peers: [Self.peer("b", Self.b), Self.peer("c", Self.zero)], stun: ["203.0.113.2:3478"])
        #expect(ConfigDiff(old: old, new: new).changed == ids("b", "c"))
        var refresh = old
        refresh.refreshInterval = 60
        #expect(ConfigDiff(old: old, new: refresh).changed == ids("b", "c"))
    }

    @Test func logAndFilesApplyWithoutRestartingPeers() {
        let old = Self.config(peers: [Self.peer("b", Self.b)])
        var new = old
        new.log.level = .debug
        new.statusFile = "/tmp/elsewhere.json"
        new.metricsFile = "/tmp/elsewhere.prom"
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.isEmpty && diff.refusal == nil)
    }

    @Test func aMonitorChangeRefusesTheWholeReload() {
        let old = Self.config(peers: [Self.peer("b", Self.b)])
        var poll = old
        poll.monitor.pollInterval = 5
        poll.refreshInterval = 60
        let refused = ConfigDiff(old: old, new: poll)
        #expect(refused.refusal?.keyPath == "monitor.poll_interval")
        var mode = old
        mode.monitor.mode = .interval
        #expect(ConfigDiff(old: old, new: mode).refusal?.keyPath == "monitor.mode")
        #expect(ConfigDiff(old: old, new: mode).refusal?.message.contains("restart stunmeshd") == true)
        var check = old
        check.monitor.mappingCheckInterval = 60
        #expect(ConfigDiff(old: old, new: check).refusal?.keyPath == "monitor.mapping_check_interval")
    }

    @Test func aSecondStoresSettingsRestartItsPeers() {
        let both = PeerConfig(name: "b", publicKeyBase64: Self.b, plugins: ["store", "other"])
        let old = Self.config(peers: [("wg0", "b", both), Self.peer("c", Self.zero)])
        let new = Self.config(peers: [("wg0", "b", both), Self.peer("c", Self.zero)],
                              plugins: ["store": .file(directory: "/var/lib/s"), "other": .file(directory: "/moved")])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.changed == ids("b"), "b's second store changed")
        #expect(diff.unchanged == ids("c"))
    }

    @Test func anInterfacesProtocolOrBackendRestartsItsPeers() {
        let old = Self.config(peers: [Self.peer("b", Self.b), ("wg1", "c", PeerConfig(name: "c", publicKeyBase64: Self.zero, plugin: "store"))])
        var dual = old
        dual.interfaces[0].protocol = .dualstack
        let diff = ConfigDiff(old: old, new: dual)
        #expect(diff.changed == ids("b"))
        #expect(diff.unchanged == [PeerID(interface: "wg1", peer: "c")])
        var kernel = old
        kernel.interfaces[1].backend = .kernel
        #expect(ConfigDiff(old: old, new: kernel).changed == [PeerID(interface: "wg1", peer: "c")])
    }

    @Test func samePeerNameOnAnotherInterfaceIsAnotherPeer() {
        let old = Self.config(peers: [Self.peer("b", Self.b)])
        let new = Self.config(peers: [("wg1", "b", PeerConfig(name: "b", publicKeyBase64: Self.b, plugin: "store"))])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.start == [PeerID(interface: "wg1", peer: "b")])
        #expect(diff.stop == ids("b"))
    }
}
