@testable import Supervisor
import SystemCalls
import Testing

@Suite struct ConfigParseTests {
    /// stunmesh-go's documented example, every key set, plus the `file` and `keepalive` extensions.
    static let fullExample = """
        refresh_interval: "10m"
        log: { level: debug, format: json }
        stun:
          addresses: ["stun.l.google.com:19302", "[2001:db8::1]:3478", "stun.l.google.com:19302"]
        ping_monitor: { interval: 2s, timeout: 1500ms, fixed_retries: 5 }
        interfaces:
          wg0:
            protocol: dualstack
            peers:
              peer_b:
                description: the office
                public_key: "\(ConfigTestKeys.b)"
                plugin: cf
                protocol: prefer_ipv6
                ping: { enabled: true, target: 10.99.0.2, timeout: 3s }
              peer_c:
                public_key: \(ConfigTestKeys.a)
                plugin: dht
                keepalive: 0
                ping: { enabled: false, target: "fd00::2" }
          wg1:
            peers:
              peer_d:
                public_key: '\(ConfigTestKeys.zero)'
                plugin: ex
                protocol: ipv6
        plugins:
          cf:   { type: builtin, name: cloudflare, zone: example.com, token: "\(ConfigTestKeys.token)", subdomain: wg }
          dht:  { type: builtin, name: opendht, endpoints: ["http://host:8080/", "https://dht.example"], magic: stunmesh-v1, timeout: 15s }
          ex:   { type: exec,  command: /usr/local/bin/plugin, args: ["-x", "--y"], dedup: false }
          sh:   { type: shell, command: /usr/local/bin/plugin.sh, args: ["-zone", "example.com"], dedup: true }
          fs:   { type: builtin, name: file, directory: /var/lib/stunmeshd/store }
        """

    @Test func parsesTheFullExample() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullExample, file: "config.yaml")
        let expected = Config(
            refreshInterval: 600,
            log: LogSettings(level: .debug, format: .json),
            stunAddresses: ["stun.l.google.com:19302", "[2001:db8::1]:3478"],
            pingMonitor: { var p = PingMonitorSettings(interval: 2, timeout: 1.5, fixedRetries: 5); p.intervalIsExplicit = true; return p }(),
            interfaces: [
                InterfaceConfig(name: "wg0", protocol: .dualstack, peers: [
                    PeerConfig(name: "peer_b", publicKeyBase64: ConfigTestKeys.b, plugin: "cf", protocol: .preferIPv6,
                               ping: PingSettings(target: IPAddress("10.99.0.2")!, interval: 2, timeout: 3)),
                    { var p = PeerConfig(name: "peer_c", publicKeyBase64: ConfigTestKeys.a, plugin: "dht", keepalive: 0)
                      p.keepaliveIsExplicit = true
                      return p }(),
                ]),
                InterfaceConfig(name: "wg1", peers: [
                    PeerConfig(name: "peer_d", publicKeyBase64: ConfigTestKeys.zero, plugin: "ex", protocol: .ipv6),
                ]),
            ],
            plugins: [
                "cf": .cloudflare(zone: "example.com", token: ConfigTestKeys.token, subdomain: "wg", apiURL: nil, dedup: false),
                "dht": .openDHT(endpoints: ["http://host:8080", "https://dht.example"], magic: "stunmesh-v1", timeout: 15),
                "ex": .exec(command: "/usr/local/bin/plugin", args: ["-x", "--y"], dedup: false),
                "sh": .shell(command: "/usr/local/bin/plugin.sh", args: ["-zone", "example.com"], dedup: true),
                "fs": .file(directory: "/var/lib/stunmeshd/store"),
            ],
            warnings: [])
        #expect(config == expected)
    }

    @Test func appliesStunmeshGoDefaults() throws {
        let config = try ConfigLoader.parse(yaml: """
            interfaces:
              wg0:
                peers:
                  p: { public_key: "\(ConfigTestKeys.a)", plugin: s }
            plugins:
              s: { type: shell, command: /bin/true }
              d: { type: builtin, name: opendht, endpoint: "http://h" }
            """)
        #expect(config.refreshInterval == 600)
        #expect(config.log == LogSettings(level: .info, format: .console))
        #expect(config.stunAddresses == ["stun.l.google.com:19302"])
        #expect(config.pingMonitor == PingMonitorSettings(interval: 1, timeout: 1, fixedRetries: 3))
        #expect(config.interfaces == [InterfaceConfig(name: "wg0", protocol: .ipv4, peers: [
            PeerConfig(name: "p", publicKeyBase64: ConfigTestKeys.a, plugin: "s", protocol: .ipv4, ping: nil, keepalive: 25),
        ])])
        #expect(config.plugins["s"] == .shell(command: "/bin/true", dedup: false))
        #expect(config.plugins["d"] == .openDHT(endpoints: ["http://h"], magic: "stunmesh-v1", timeout: 15))
        #expect(config.warnings == ["stun.addresses: no STUN server configured, using stun.l.google.com:19302"])
    }

    @Test func warnsAboutIgnoredKeysAndEmptyInterfacesWithoutFailing() throws {
        let config = try ConfigLoader.parse(yaml: """
            wg: wg0
            stun: { address: "stun.example:3478", addresses: "a.example:1,,b.example:2" }
            log: { level: WARN, colour: true }
            interfaces:
              wg0:
                proxy: { listen: 1234 }
                peers:
                  p: { public_key: "\(ConfigTestKeys.a)", plugin: d, ping: { enabled: true, target: "fd00::1", interval: 5s } }
              wg9:
            plugins:
              d: { type: builtin, name: opendht, endpoints: ["http://h"], timeout: 2.5, dedup: true, extra: 1 }
            """, file: "c.yaml")
        #expect(config.log.level == .warn)
        #expect(config.stunAddresses == ["stun.example:3478", "a.example:1", "b.example:2"])
        #expect(config.interfaces.map(\.name) == ["wg0"])
        #expect(config.interfaces[0].peers[0].ping == PingSettings(target: IPAddress("fd00::1")!, interval: 5, timeout: 1))
        #expect(config.plugins["d"] == .openDHT(endpoints: ["http://h"], magic: "stunmesh-v1", timeout: 2.5))
        #expect(Set(config.warnings) == [
            "c.yaml:1: wg: a stunmesh-go setting stunmeshd does not use, ignored",
            "c.yaml:3: log.colour: unknown key, ignored",
            "c.yaml:6: interfaces.wg0.proxy: a stunmesh-go setting stunmeshd does not use, ignored",
            "c.yaml:9: interfaces.wg9.peers: no peers, the interface is ignored",
            "c.yaml:11: plugins.d.dedup: is ignored for opendht (its values expire)",
            "c.yaml:11: plugins.d.extra: unknown key, ignored",
        ])
    }

    @Test func printingAConfigNeverShowsTheToken() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullExample)
        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), dumped,
                     "\(config.plugins)", "\(config.plugins["cf"]!)"] {
            #expect(!text.contains(ConfigTestKeys.token))
            #expect(text.contains("example.com"))
        }
    }
}
