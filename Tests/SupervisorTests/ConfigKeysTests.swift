import Glibc
@testable import Supervisor
import SystemCalls
import Testing

/// The one config-key table (`ConfigKeys`) and what the decoder, `check`, reload and the docs do
/// with it: near-miss typos are errors, stunmesh-go's keys are never typos, values stunmesh-go
/// reads leniently are read with its meaning, peers it skips are skipped, and every problem of a
/// file is listed in one go.
@Suite struct ConfigKeysTests {
    static let peer = "interfaces.wg0.peers.peer_b"

    /// A valid file with `extra` lines put in place of the `# HERE` markers (by section).
    static func yaml(top: String = "", stun: String = "", peer: String = "", plugin: String = "",
                     interface: String = "") -> String {
        """
        refresh_interval: 10m
        \(top)
        stun:
          addresses: ["stun.example:3478"]
          \(stun)
        interfaces:
          wg0:
            \(interface)
            peers:
              peer_b:
                public_key: "\(ConfigTestKeys.b)"
                plugin: cf
                \(peer)
        plugins:
          cf: { type: builtin, name: cloudflare, zone: example.com, token: t, \(plugin) }
          dht: { type: builtin, name: opendht, endpoints: ["http://127.0.0.1:1"] }
        """
    }

    static func problems(_ text: String) -> [ConfigError] {
        do {
            _ = try ConfigLoader.parse(yaml: text, file: "c.yaml", resolve: nil)
            return []
        } catch {
            return error.all
        }
    }

    // MARK: Typos

    @Test func aNearMissIsAnErrorThatSaysWhatWasMeant() {
        let cases: [(String, String, String)] = [
            (Self.yaml(stun: "adresses: [\"x:1\"]"), "stun.adresses", "addresses"),
            (Self.yaml(top: "refresh_intervall: 5m"), "refresh_intervall", "refresh_interval"),
            (Self.yaml(top: "ping_monitr: { interval: 1s }"), "ping_monitr", "ping_monitor"),
            (Self.yaml(top: "monitor: { mod: events }"), "monitor.mod", "mode"),
            (Self.yaml(peer: "protocl: ipv4"), "\(Self.peer).protocol".replacing("protocol", with: "protocl"), "protocol"),
            (Self.yaml(peer: "keepalve: 10"), "\(Self.peer).keepalve", "keepalive"),
            (Self.yaml(peer: "ping: { enabled: true, taget: 10.0.0.1 }"), "\(Self.peer).ping.taget", "target"),
            (Self.yaml(interface: "protocl: ipv4"), "interfaces.wg0.protocl", "protocol"),
            (Self.yaml(plugin: "subdomian: wg"), "plugins.cf.subdomian", "subdomain"),
            (Self.yaml(plugin: "zome: x"), "plugins.cf.zome", "zone"),
        ]
        for (text, keyPath, suggestion) in cases {
            let found = Self.problems(text)
            #expect(found.contains { $0.keyPath == keyPath && $0.message == "unknown key; did you mean \(suggestion)?" },
                    "\(keyPath): \(found)")
            #expect(found.allSatisfy { $0.line != nil && $0.file == "c.yaml" })
        }
    }

    @Test func theDistanceRuleIsTighterForShortKeys() {
        #expect(ConfigKeys.judge("tpye", in: "plugins.*", kind: "exec") == .unknown)  // a transposition is 2
        #expect(ConfigKeys.judge("typ", in: "plugins.*", kind: "exec") == .nearMiss(suggestion: "type"))
        #expect(ConfigKeys.judge("addreses", in: "stun", kind: nil) == .nearMiss(suggestion: "addresses"))
        #expect(ConfigKeys.judge("adress", in: "stun", kind: nil) == .nearMiss(suggestion: "address"))
        #expect(ConfigKeys.judge("colour", in: "log", kind: nil) == .unknown)
        #expect(ConfigKeys.editDistance("kitten", "sitting") == 3)
        #expect(ConfigKeys.editDistance("", "abc") == 3)
    }

    @Test func stunmeshGoKeysAreNeverTyposAndOtherKindsKeysAreWarnings() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(top: "wg: wg0", plugin: "timeout: 5s",
                                                            interface: "proxy: { listen: 51999, enabled: false }\n    listen_interfaces: [eth0]"),
                                            file: "c.yaml")
        #expect(config.warnings.contains("c.yaml:2: wg: a stunmesh-go setting stunmeshd does not use, ignored"))
        #expect(config.warnings.contains { $0.hasSuffix("interfaces.wg0.proxy: a stunmesh-go setting stunmeshd does not use, ignored") })
        #expect(config.warnings.contains { $0.hasSuffix("interfaces.wg0.listen_interfaces: a stunmesh-go setting stunmeshd does not use, ignored") })
        #expect(config.warnings.contains { $0.hasSuffix("plugins.cf.timeout: belongs to opendht stores, not cloudflare; ignored") })
        #expect(ConfigKeys.judge("fib", in: "interfaces.*.proxy", kind: nil) == .goOnly)
    }

    @Test func everyProblemOfAFileIsListed() {
        let text = """
            refresh_interval: 5
            log: { level: loud }
            stun: { adresses: [] }
            interfaces:
              wg0:
                peers:
                  a: { public_key: "\(ConfigTestKeys.a)", plugin: cf, keepalive: 70000 }
                  b: { public_key: "\(ConfigTestKeys.b)", plugin: cf, protocol: ipv5 }
            plugins:
              cf: { type: builtin, name: cloudflare, zone: z }
            """
        let found = Self.problems(text)
        #expect(found.map(\.keyPath) == ["refresh_interval", "log.level", "stun.adresses", "plugins.cf.token",
                                         "interfaces.wg0.peers.a.keepalive", "interfaces.wg0.peers.b.protocol"])
        #expect(found.map(\.line) == [1, 2, 3, 10, 7, 8])
        // Printed one per line, as the daemon prints them at start and on SIGHUP.
        var first = found[0]
        first.also = Array(found.dropFirst())
        #expect(first.description.split(separator: "\n").count == 6)
    }

    @Test func checkReportsErrorsAndWarningsWithoutResolvingNames() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let good = try tree.file("good.yaml", Self.yaml(top: "colour: red", peer: "ping: { enabled: true, target: gw.invalid }"))
        let report = ConfigLoader.check(path: good)
        #expect(report.errors.isEmpty)
        #expect(report.config?.interfaces.first?.peers.first?.ping == nil)
        #expect(report.warnings.contains { $0.contains("colour: unknown key, ignored") })
        #expect(report.warnings.contains { $0.contains("\"gw.invalid\" is a name, resolved when the daemon starts (not here)") })
        var lines: [String] = []
        #expect(CheckCommand.run(options: CommandLineOptions(configFile: good), environment: [:], output: { lines.append($0) }) == 0)
        #expect(lines.last == "\(good): OK: 1 interface, 1 peer, 2 stores, 2 warnings\n")

        let bad = try tree.file("bad.yaml", Self.yaml(stun: "adresses: [\"x:1\"]", plugin: "zome: q"))
        lines = []
        #expect(CheckCommand.run(options: CommandLineOptions(configFile: bad), environment: [:], output: { lines.append($0) }) == 1)
        #expect(lines.contains("error: \(bad):5: stun.adresses: unknown key; did you mean addresses?\n"))
        #expect(lines.contains("error: \(bad):15: plugins.cf.zome: unknown key; did you mean zone?\n"))
        #expect(lines.last == "\(bad): 2 errors; stunmeshd would not start\n")
    }

    @Test func checkLooksAtWhatTheFileNamesOnThisHost() throws {
        let config = try ConfigLoader.parse(yaml: """
            interfaces: { wg0: { peers: { p: { public_key: "\(ConfigTestKeys.a)", plugin: ex } } } }
            plugins:
              ex: { type: exec, command: /nonexistent/plugin }
              sh: { type: shell, command: /bin/sh }
              fs: { type: builtin, name: file, directory: /nonexistent/dir }
              cf: { type: builtin, name: cloudflare, zone: z, token: t, ca_file: /nonexistent/ca.pem }
            """)
        #expect(CheckCommand.hostWarnings(config, file: "c") == [
            "c: plugins.cf.ca_file: /nonexistent/ca.pem cannot be read on this host",
            "c: plugins.ex.command: /nonexistent/plugin is not an executable file on this host",
            "c: plugins.fs.directory: /nonexistent/dir is not a directory on this host",
        ])
    }

    // MARK: stunmesh-go's lenient reading

    @Test func valuesAreReadWithGosMeaning() throws {
        func ping(_ enabled: String) throws -> Bool {
            try ConfigLoader.parse(yaml: Self.yaml(peer: "ping: { enabled: \(enabled), target: 10.0.0.1 }"))
                .interfaces[0].peers[0].ping != nil
        }
        for yes in ["true", "True", "1", "\"1\"", "\"t\"", "\"TRUE\"", "2", "0.5"] { #expect(try ping(yes), "\(yes)") }
        for no in ["false", "0", "\"0\"", "\"f\"", "\"\"", "\"False\""] { #expect(try !ping(no), "\(no)") }
        for refused in ["yes", "on", "\"yes\""] {
            #expect(Self.problems(Self.yaml(peer: "ping: { enabled: \(refused), target: 10.0.0.1 }")).first?.message
                    == "must be true or false, not \"\(refused.replacing("\"", with: ""))\"")
        }
        func retries(_ text: String) throws -> Int {
            try ConfigLoader.parse(yaml: Self.yaml(top: "ping_monitor: { fixed_retries: \(text) }")).pingMonitor.fixedRetries
        }
        #expect(try retries("\"5\"") == 5)
        #expect(try retries("0x10") == 16)
        #expect(try retries("1_000") == 1000)
        #expect(try retries("true") == 1)
        #expect(Self.problems(Self.yaml(top: "ping_monitor: { fixed_retries: 017 }")).first?.message == "must be a whole number, not \"017\"")
        // A bare number is no duration: stunmesh-go would read it as nanoseconds.
        #expect(Self.problems(Self.yaml(top: "ping_monitor: { interval: 5 }")).first?.keyPath == "ping_monitor.interval")
    }

    @Test func dedupIsReadAsStunmeshGosParseDedup() throws {
        func dedup(_ text: String) throws -> (Bool, [String]) {
            let config = try ConfigLoader.parse(yaml: Self.yaml(plugin: "dedup: \(text)"))
            guard case .cloudflare(_, _, _, _, let dedup, _) = config.plugins["cf"]! else { return (false, []) }
            return (dedup, config.warnings)
        }
        #expect(try dedup("true").0)
        #expect(try dedup("\"true\"").0)
        #expect(try dedup("\"1\"").0)
        #expect(try dedup("false") == (false, []))
        let (one, warnings) = try dedup("1")
        #expect(!one)
        #expect(warnings.contains { $0.contains("dedup: 1 is read as false (stunmesh-go takes only true, \"true\" or \"1\")") })
        #expect(try !dedup("\"yes\"").0)
    }

    @Test func keysInAnotherCaseAreReadWithAWarning() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(peer: "Protocol: ipv6"), file: "c.yaml")
        #expect(config.interfaces[0].peers[0].protocol == .ipv6)
        #expect(config.warnings.contains { $0.hasSuffix("Protocol: read as protocol (stunmesh-go matches these keys in any case); write protocol") })
        // A store's own keys stunmesh-go reads exactly: there it is a typo.
        #expect(Self.problems(Self.yaml(plugin: "Subdomain: wg")).first?.message == "unknown key; did you mean subdomain?")
    }

    @Test func peersStunmeshGoSkipsAreSkippedWithAWarning() throws {
        let text = """
            interfaces:
              wg0:
                peers:
                  good: { public_key: "\(ConfigTestKeys.a)", plugin: cf }
                  badkey: { public_key: "not-a-key", plugin: cf }
                  nostore: { public_key: "\(ConfigTestKeys.b)", plugin: nope }
            plugins:
              cf: { type: builtin, name: file, directory: /tmp }
            """
        let config = try ConfigLoader.parse(yaml: text, file: "c.yaml")
        #expect(config.interfaces[0].peers.map(\.name) == ["good"])
        #expect(config.warnings.contains("c.yaml:5: interfaces.wg0.peers.badkey.public_key: must be a base64 WireGuard key "
                                         + "(32 bytes); the peer is skipped, as stunmesh-go skips it"))
        #expect(config.warnings.contains("c.yaml:6: interfaces.wg0.peers.nostore.plugin: no plugin named \"nope\" under "
                                         + "plugins; the peer is skipped, as stunmesh-go skips it"))
        // With no peer left, the reasons are the errors.
        let none = Self.problems(text.split(separator: "\n").filter { !$0.contains("good:") }.joined(separator: "\n"))
        #expect(none.map(\.keyPath) == ["interfaces.wg0.peers.badkey.public_key", "interfaces.wg0.peers.nostore.plugin"])
    }

    @Test func pingTargetsMayBeNamesResolvedAtLoad() throws {
        let resolve: (String) -> IPAddress? = { $0 == "gw.example" ? IPAddress("10.9.0.1") : nil }
        let named = try ConfigLoader.parse(yaml: Self.yaml(peer: "ping: { enabled: true, target: gw.example }"), resolve: resolve)
        #expect(named.interfaces[0].peers[0].ping?.target == IPAddress("10.9.0.1"))
        let unknown = try ConfigLoader.parse(yaml: Self.yaml(peer: "ping: { enabled: true, target: nx.example }"), resolve: resolve)
        #expect(unknown.interfaces[0].peers[0].ping == nil)
        #expect(unknown.warnings.contains { $0.contains("\"nx.example\" does not resolve; the peer is not pinged") })
        let none = try ConfigLoader.parse(yaml: Self.yaml(peer: "ping: { enabled: true }"))
        #expect(none.interfaces[0].peers[0].ping == nil)
        // The real resolver: /etc/hosts has localhost.
        #expect([IPAddress("127.0.0.1"), IPAddress("::1")].contains(ConfigLoader.resolveTarget("localhost")))
        #expect(ConfigKeysTests.isHost("a.b-c.d_e") && !ConfigKeysTests.isHost("a b") && !ConfigKeysTests.isHost("a..b"))
    }

    static func isHost(_ text: String) -> Bool { ConfigDecoder.isHostName(text) }

    @Test func extraPluginsKeepsTheFileReadableByStunmeshGo() throws {
        let both = try ConfigLoader.parse(yaml: Self.yaml(peer: "extra_plugins: [dht]"))
        #expect(both.interfaces[0].peers[0].plugins == ["cf", "dht"])
        #expect(both.warnings.isEmpty)
        let old = try ConfigLoader.parse(yaml: Self.yaml().replacing("plugin: cf", with: "plugins: [cf, dht]"))
        #expect(old.interfaces[0].peers[0].plugins == ["cf", "dht"])
        #expect(old.warnings.contains { $0.hasSuffix("plugins: stunmesh-go cannot read this key (it finds no store for the peer); "
                                                      + "write plugin: cf and extra_plugins: [dht]") })
        #expect(Self.problems(Self.yaml(peer: "extra_plugins: [cf]")).first?.message == "names plugin \"cf\" twice")
    }

    // MARK: Reload and docs

    @Test func reloadRefusesExactlyTheTablesRestartKeys() throws {
        let old = try ConfigLoader.parse(yaml: Self.yaml())
        let restartKeys = ConfigKeys.all.filter { $0.reload == .restart && $0.value != nil }.map(\.path)
        #expect(restartKeys == ["monitor.mode", "monitor.poll_interval", "monitor.mapping_check_interval", "state_file"])
        for (text, key) in [("mode: interval", "monitor.mode"), ("poll_interval: 2s", "monitor.poll_interval"),
                            ("mapping_check_interval: 1m", "monitor.mapping_check_interval")] {
            let new = try ConfigLoader.parse(yaml: Self.yaml(top: "monitor: { \(text) }"))
            #expect(ConfigDiff(old: old, new: new).refusal?.keyPath == key)
        }
        let live = try ConfigLoader.parse(yaml: Self.yaml(top: "log: { level: debug }\nstatus_file: /tmp/x.json"))
        #expect(ConfigDiff(old: old, new: live).refusal == nil)
        #expect(ConfigKeys.key("log.level")?.reload == .live)
    }

    /// To print the table for the doc: `STUNMESHD_KEY_TABLE_OUT=/tmp/keys.md swift test --filter theDocsTable`.
    @Test func theDocsTableIsTheKeyTable() throws {
        if let out = getenv("STUNMESHD_KEY_TABLE_OUT").map({ String(cString: $0) }), let file = fopen(out, "w") {
            fputs(ConfigKeys.markdownTable + "\n", file)
            fclose(file)
        }
        let doc = try #require(RepositoryFiles.read("docs/config.md"), "docs/config.md not found")
        #expect(doc.contains(ConfigKeys.markdownTable + "\n"), "docs/config.md's key table must be, verbatim:\n\(ConfigKeys.markdownTable)")
    }

    /// Every key of the table is read by the decoder (no "unknown" or "typo" verdict for a file
    /// holding them all), and every key of that file is in the table.
    @Test func theTableAndTheDecoderAgree() throws {
        let text = """
            refresh_interval: 10m
            log: { level: info, format: console }
            stun: { address: "a:1", addresses: ["b:2"] }
            ping_monitor: { interval: 1s, timeout: 1s, fixed_retries: 3 }
            monitor: { mode: events, poll_interval: 1s, mapping_check_interval: 5m }
            status_file: /run/x.json
            metrics_file: /run/x.prom
            state_file: /var/lib/x.json
            wg: wg0
            cloudflare: { api_key: k, api_email: e, api_token: t, zone_name: z }
            interfaces:
              wg0:
                protocol: ipv4
                backend: auto
                proxy: { listen: 1, enabled: false, fib: 0 }
                listen_interfaces: [eth0]
                listen_default_route: false
                peers:
                  a:
                    public_key: "\(ConfigTestKeys.a)"
                    plugin: ex
                    extra_plugins: [sh]
                    protocol: ipv4
                    description: d
                    keepalive: 25
                    ping: { enabled: true, target: 10.0.0.1, interval: 1s, timeout: 1s }
                  b: { public_key: "\(ConfigTestKeys.b)", plugins: [cf, dht, fs] }
            plugins:
              ex: { type: exec, command: /bin/true, args: [], dedup: false }
              sh: { type: shell, command: /bin/true, args: [], dedup: true }
              cf: { type: builtin, name: cloudflare, zone: z, token: t, subdomain: s, api_url: "http://h", ca_file: /c, dedup: true }
              dht: { type: builtin, name: opendht, endpoint: "http://a", endpoints: ["http://b"], magic: m, timeout: 5s,
                     republish_interval: 5m, ca_file: /c }
              fs: { type: builtin, name: file, directory: /tmp }
            """
        let config = try ConfigLoader.parse(yaml: text, file: "c.yaml")
        for warning in config.warnings {
            #expect(warning.contains("a stunmesh-go setting stunmeshd does not use") || warning.contains("stunmesh-go cannot read this key"),
                    "\(warning)")
        }
        let root = try #require(try YAMLParser.parse(text))
        var paths: Set<String> = []
        Self.patterns(root, at: "", into: &paths)
        #expect(paths == Set(ConfigKeys.all.map(\.path)))
    }

    /// The key patterns in `node`: names under a `.names` key become `*`.
    static func patterns(_ node: YAMLNode, at pattern: String, into paths: inout Set<String>) {
        guard case .mapping(let entries) = node.content else { return }
        let isNames = pattern.isEmpty ? false : ConfigKeys.key(pattern)?.type == .names
        for entry in entries {
            let child = isNames ? ConfigFields.join(pattern, "*") : ConfigFields.join(pattern, entry.key)
            if !isNames { paths.insert(child) }
            patterns(entry.value, at: child, into: &paths)
        }
    }
}

/// stunmesh-go's own example configs (its README and docs at eb905f8, in
/// tests/fixtures/stunmesh-go-examples): each one loads without error.
@Suite struct ConfigGoExamplesTests {
    static let names = [
        "README-1", "CLAUDE-1", "contrib_cloudflare-shell_README-1", "contrib_cloudflare_README-1",
        "contrib_cloudflare_README-2", "contrib_cloudflare_README-3", "contrib_opendht-shell_README-1",
        "contrib_opendht_README-1",
    ]

    @Test(arguments: names) func loads(_ name: String) throws {
        let file = "\(RepositoryFiles.root)/tests/fixtures/stunmesh-go-examples/\(name).yaml"
        let report = ConfigLoader.check(path: file)
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.config?.interfaces.isEmpty == false)
    }
}

/// The default status file's one naming rule.
@Suite struct DaemonFilesTests {
    @Test func theDefaultStatusFileIsNamedAfterTheConfig() throws {
        #expect(DaemonFiles.defaultStatusFile(configPath: nil) == "/run/stunmeshd/status.json")
        #expect(DaemonFiles.defaultStatusFile(configPath: "/etc/stunmesh/config.yaml") == "/run/stunmeshd/status.json")
        let a = DaemonFiles.defaultStatusFile(configPath: "/etc/stunmesh/site-a.yaml")
        #expect(a.hasPrefix("/run/stunmeshd/status-etc-stunmesh-site-a.yaml-") && a.hasSuffix(".json"))
        #expect(a != DaemonFiles.defaultStatusFile(configPath: "/etc/stunmesh/site-b.yaml"))
        // Paths that read the same once escaped still differ by their hash.
        #expect(DaemonFiles.defaultStatusFile(configPath: "/a/b c") != DaemonFiles.defaultStatusFile(configPath: "/a/b_c"))
        #expect(DaemonFiles.hash("") == "811c9dc5")
        let long = DaemonFiles.defaultStatusFile(configPath: "/" + String(repeating: "x", count: 300))
        #expect(long.utf8.count < 120)
        // Loading a file names it after the file's canonical path, whatever path was given.
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let file = try tree.file("c.yaml", ConfigKeysTests.yaml())
        let config = try ConfigLoader.load(path: file, resolve: nil)
        #expect(config.statusFile == DaemonFiles.defaultStatusFile(configPath: DaemonFiles.canonical(file)))
        #expect(try ConfigLoader.load(path: "\(tree.root)/./c.yaml", resolve: nil).statusFile == config.statusFile)
        #expect(try ConfigLoader.parse(yaml: ConfigKeysTests.yaml()).statusFile == "/run/stunmeshd/status.json")
    }
}
