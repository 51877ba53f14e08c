@testable import Supervisor
import Testing

@Suite struct ConfigErrorTests {
    /// A valid config whose lines the cases below replace: line n is `base[n - 1]`.
    static let base = [
        "refresh_interval: 10m",                                  // 1
        "stun:",                                                  // 2
        "  addresses: [\"stun.example:3478\"]",                   // 3
        "interfaces:",                                            // 4
        "  wg0:",                                                 // 5
        "    protocol: ipv4",                                     // 6
        "    peers:",                                             // 7
        "      peer_b:",                                          // 8
        "        public_key: \"\(ConfigTestKeys.b)\"",            // 9
        "        plugin: cf",                                     // 10
        "        ping: { enabled: true, target: 10.0.0.2 }",      // 11
        "plugins:",                                               // 12
        "  cf: { type: builtin, name: cloudflare, zone: example.com, token: \"\(ConfigTestKeys.token)\" }", // 13
    ]

    /// The base with line `line` replaced (an empty replacement keeps the line count).
    static func variant(_ line: Int, _ replacement: String) -> String {
        var lines = base
        lines[line - 1] = replacement
        return lines.joined(separator: "\n") + "\n"
    }

    /// The base with lines `range` replaced by `replacement` and comment lines (same line count).
    static func variant(_ range: ClosedRange<Int>, _ replacement: String) -> String {
        var lines = base
        for line in range { lines[line - 1] = line == range.lowerBound ? replacement : "#" }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var keyPath: String
        var line: Int?
        var message: String
        var testDescription: String { name }
    }

    static let peer = "interfaces.wg0.peers.peer_b"

    static let cases: [Case] = [
        Case(name: "unknown plugin reference", yaml: variant(10, "        plugin: nope"),
             keyPath: "\(peer).plugin", line: 10, message: "no plugin named \"nope\" under plugins"),
        Case(name: "bad public key", yaml: variant(9, "        public_key: \"abc=\""),
             keyPath: "\(peer).public_key", line: 9, message: "must be a base64 WireGuard key (32 bytes)"),
        Case(name: "non-canonical public key",
             yaml: variant(9, "        public_key: \"D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyB=\""),
             keyPath: "\(peer).public_key", line: 9, message: "must be a base64 WireGuard key (32 bytes)"),
        Case(name: "missing public key", yaml: variant(9, ""),
             keyPath: "\(peer).public_key", line: 8, message: "is required"),
        Case(name: "bad duration", yaml: variant(1, "refresh_interval: 10 minutes"),
             keyPath: "refresh_interval", line: 1,
             message: "must be a duration such as 90s, 10m or 1h30m (time: unknown unit \" minutes\" in duration \"10 minutes\")"),
        Case(name: "duration without unit", yaml: variant(1, "refresh_interval: 600"),
             keyPath: "refresh_interval", line: 1,
             message: "must be a duration such as 90s, 10m or 1h30m (time: missing unit in duration \"600\")"),
        Case(name: "zero duration", yaml: variant(11, "        ping: { enabled: true, target: 10.0.0.2, timeout: 0s }"),
             keyPath: "\(peer).ping.timeout", line: 11, message: "must be longer than zero"),
        Case(name: "mapping where a scalar is expected", yaml: variant(9, "        public_key: { a: b }"),
             keyPath: "\(peer).public_key", line: 9, message: "must be a string, not a mapping"),
        Case(name: "list where a mapping is expected", yaml: variant(7...11, "    peers: [a, b]"),
             keyPath: "interfaces.wg0.peers", line: 7, message: "must be a mapping of keys, not a list"),
        Case(name: "scalar where a list is expected", yaml: variant(13, "  cf: { type: exec, command: x, args: { a: 1 } }"),
             keyPath: "plugins.cf.args", line: 13, message: "must be a list, not a mapping"),
        Case(name: "bad boolean", yaml: variant(11, "        ping: { enabled: yes, target: 10.0.0.2 }"),
             keyPath: "\(peer).ping.enabled", line: 11, message: "must be true or false, not \"yes\""),
        Case(name: "stun addresses []", yaml: variant(3, "  addresses: []"),
             keyPath: "stun.addresses", line: 3, message: "has no usable STUN server (the list is empty)"),
        Case(name: "stun address without port", yaml: variant(3, "  addresses: [\"stun.example\"]"),
             keyPath: "stun.addresses", line: 3, message: "\"stun.example\" is not host:port"),
        Case(name: "bad interface protocol", yaml: variant(6, "    protocol: ipv5"),
             keyPath: "interfaces.wg0.protocol", line: 6, message: "must be one of ipv4, ipv6, dualstack, not \"ipv5\""),
        Case(name: "bad peer protocol", yaml: variant(11, "        protocol: dualstack"),
             keyPath: "\(peer).protocol", line: 11,
             message: "must be one of ipv4, ipv6, prefer_ipv4, prefer_ipv6, not \"dualstack\""),
        Case(name: "ping target neither an IP nor a name", yaml: variant(11, "        ping: { enabled: true, target: \"a b\" }"),
             keyPath: "\(peer).ping.target", line: 11, message: "must be an IP address or a host name, not \"a b\""),
        Case(name: "keepalive out of range", yaml: variant(11, "        keepalive: 70000"),
             keyPath: "\(peer).keepalive", line: 11, message: "must be between 0 and 65535"),
        Case(name: "YAML syntax error", yaml: variant(6, "    protocol: ipv4: x"),
             keyPath: "", line: 6, message: "mapping values are not allowed in this context"),
        Case(name: "missing interfaces", yaml: base[11...12].joined(separator: "\n"),
             keyPath: "interfaces", line: nil, message: "at least one interface with one peer is required"),
        Case(name: "interface without peers", yaml: variant(7...11, "    peers: {}"),
             keyPath: "interfaces", line: 4, message: "at least one interface with one peer is required"),
        Case(name: "empty file", yaml: "", keyPath: "", line: nil, message: "the config file is empty"),
        Case(name: "comment-only file", yaml: "# nothing\n", keyPath: "", line: nil, message: "the config file is empty"),
        Case(name: "top level is a list", yaml: "- a\n- b\n", keyPath: "", line: 1,
             message: "the config must be a mapping of keys, not a list"),
        Case(name: "duplicate key", yaml: variant(6...11, "    peers: {}\n    peers: {}"),
             keyPath: "interfaces.wg0.peers", line: 7, message: "is given twice"),
        Case(name: "alias", yaml: variant(10, "        plugin: *cf"),
             keyPath: "", line: 10, message: "aliases (*name) are not supported"),
        Case(name: "bad interface name", yaml: variant(5, "  wg/0:"),
             keyPath: "interfaces.wg/0", line: 5, message: "is not a valid interface name"),
        Case(name: "bad log level", yaml: variant(1, "log: { level: loud }"),
             keyPath: "log.level", line: 1,
             message: "must be one of trace, debug, info, warn, error, fatal, panic, disabled, not \"loud\""),
        Case(name: "bad log format", yaml: variant(1, "log: { format: xml }"),
             keyPath: "log.format", line: 1, message: "must be one of console, json, not \"xml\""),
        Case(name: "negative fixed retries", yaml: variant(1, "ping_monitor: { fixed_retries: -1 }"),
             keyPath: "ping_monitor.fixed_retries", line: 1, message: "must be between 0 and 1000"),
        Case(name: "unknown plugin type", yaml: variant(13, "  cf: { type: grpc }"),
             keyPath: "plugins.cf.type", line: 13, message: "must be one of exec, shell, builtin, not \"grpc\""),
        Case(name: "unknown builtin", yaml: variant(13, "  cf: { type: builtin, name: redis }"),
             keyPath: "plugins.cf.name", line: 13, message: "must be one of cloudflare, opendht, file, not \"redis\""),
        Case(name: "missing token", yaml: variant(13, "  cf: { type: builtin, name: cloudflare, zone: example.com }"),
             keyPath: "plugins.cf.token", line: 13, message: "is required"),
        Case(name: "empty token", yaml: variant(13, "  cf: { type: builtin, name: cloudflare, zone: z, token: \"\" }"),
             keyPath: "plugins.cf.token", line: 13, message: "must not be empty"),
        Case(name: "token of the wrong type",
             yaml: variant(13, "  cf: { type: builtin, name: cloudflare, zone: z, token: [\"\(ConfigTestKeys.token)\"] }"),
             keyPath: "plugins.cf.token", line: 13, message: "must be a string, not a list"),
        Case(name: "bad api_url",
             yaml: variant(13, "  cf: { type: builtin, name: cloudflare, zone: z, token: \(ConfigTestKeys.token), api_url: ftp://x }"),
             keyPath: "plugins.cf.api_url", line: 13, message: "must start with http:// or https://"),
        Case(name: "exec without command", yaml: variant(13, "  cf: { type: exec, args: [a] }"),
             keyPath: "plugins.cf.command", line: 13, message: "is required"),
        Case(name: "opendht without endpoints", yaml: variant(13, "  cf: { type: builtin, name: opendht, endpoints: [] }"),
             keyPath: "plugins.cf.endpoints", line: 13, message: "is required (one or more proxy URLs)"),
        Case(name: "opendht endpoint without scheme",
             yaml: variant(13, "  cf: { type: builtin, name: opendht, endpoints: [\"http://a\", \"dht.example\"] }"),
             keyPath: "plugins.cf.endpoints[1]", line: 13, message: "must start with http:// or https://"),
        Case(name: "file store without directory", yaml: variant(13, "  cf: { type: builtin, name: file }"),
             keyPath: "plugins.cf.directory", line: 13, message: "is required"),
        Case(name: "duplicate peer key",
             yaml: variant(11, "      peer_c: { public_key: \"\(ConfigTestKeys.b)\", plugin: cf }"),
             keyPath: "interfaces.wg0.peers.peer_c.public_key", line: 11, message: "is the same key as peer peer_b"),
    ]

    @Test(arguments: cases)
    func namesTheKeyAndLine(_ c: Case) {
        do {
            let config = try ConfigLoader.parse(yaml: c.yaml, file: "config.yaml")
            Issue.record("parsed: \(config)")
        } catch {
            #expect(error.keyPath == c.keyPath)
            #expect(error.line == c.line)
            #expect(error.message == c.message)
            #expect(error.file == "config.yaml")
            #expect(!error.description.contains(ConfigTestKeys.token))
        }
    }

    @Test func baseIsValid() throws {
        _ = try ConfigLoader.parse(yaml: Self.base.joined(separator: "\n"))
    }

    @Test func descriptionReadsFileLineKeyMessage() {
        #expect(ConfigError(keyPath: "interfaces.wg0.peers.peer_b.public_key",
                            message: "must be a base64 WireGuard key (32 bytes)", line: 12, file: "config.yaml").description
                == "config.yaml:12: interfaces.wg0.peers.peer_b.public_key: must be a base64 WireGuard key (32 bytes)")
        #expect(ConfigError(keyPath: "", message: "the config file is empty", file: "c.yml").description
                == "c.yml: the config file is empty")
        #expect(ConfigError(keyPath: "a", message: "m", line: 3).description == "line 3: a: m")
        #expect(ConfigError(keyPath: "", message: "m").description == "m")
    }
}

/// Probe settings out of range are refused with the key named; an interval in the file makes
/// pings periodic, a target alone does not.
@Suite struct ConfigProbeSettingsTests {
    func load(_ yaml: String) throws -> Config { try ConfigLoader.parse(yaml: yaml, file: "t.yaml") }

    static let peer = """
        interfaces:
          wg0:
            peers:
              b:
                public_key: "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA="
                plugin: s
        """
    static let plugins = "\nplugins:\n  s: { type: builtin, name: file, directory: /tmp/s }\n"

    @Test(arguments: [("ping_monitor: { interval: 0s }\n", "ping_monitor.interval"),
                      ("ping_monitor: { interval: 2h }\n", "ping_monitor.interval"),
                      ("ping_monitor: { timeout: 2m }\n", "ping_monitor.timeout"),
                      ("ping_monitor: { timeout: 1ms }\n", "ping_monitor.timeout"),
                      ("monitor: { mapping_check_interval: 5s }\n", "monitor.mapping_check_interval"),
                      ("monitor: { mapping_check_interval: 300 }\n", "monitor.mapping_check_interval")])
    func outOfRangeProbeSettingsNameTheKey(_ line: String, _ key: String) {
        do {
            _ = try load(line + Self.peer + Self.plugins)
            Issue.record("accepted \(line)")
        } catch {
            #expect("\(error)".contains(key), "\(error)")
        }
    }

    @Test func aPeerPingIsPeriodicOnlyWithAnInterval() throws {
        let target = try load(Self.peer + "\n        ping: { enabled: true, target: 10.99.0.2 }" + Self.plugins)
        #expect(target.interfaces[0].peers[0].ping?.periodic == false)
        #expect(target.pingMonitor.intervalIsExplicit == false)
        let interval = try load(Self.peer + "\n        ping: { enabled: true, target: 10.99.0.2, interval: 5s }" + Self.plugins)
        #expect(interval.interfaces[0].peers[0].ping?.periodic == true)
        let monitor = try load("ping_monitor: { interval: 1s }\n" + Self.peer + "\n        ping: { enabled: true, target: 10.99.0.2 }" + Self.plugins)
        #expect(monitor.pingMonitor.intervalIsExplicit && monitor.interfaces[0].peers[0].ping?.periodic == true)
    }
}

/// Numbers from the config that would overflow later are refused with the key named.
@Suite struct ConfigRangeTests {
    @Test(arguments: ["1e300", "301", "10m", "0"])
    func anOpenDHTTimeoutOutOfRangeIsRefused(_ timeout: String) {
        let yaml = """
            interfaces: { wg0: { peers: { b: { public_key: "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA=", plugin: d } } } }
            plugins: { d: { type: builtin, name: opendht, endpoints: ["http://127.0.0.1:1"], timeout: \(timeout) } }
            """
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "t.yaml")
            Issue.record("accepted timeout \(timeout)")
        } catch {
            #expect("\(error)".contains("plugins.d.timeout"), "\(error)")
        }
    }
}
