import Glibc
@testable import Supervisor
import SystemCalls
import Testing

@Suite struct ConfigLocateTests {
    @Test func explicitFileWinsAndIsNotChecked() {
        #expect(ConfigLoader.locate(configFile: "/nonexistent/x.yaml", configDir: "/tmp", environment: [:])
                == "/nonexistent/x.yaml")
    }

    @Test func configDirPrefersYamlThenYmlThenNamesYaml() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let both = try tree.directory("both")
        try tree.file("both/config.yml", "a: 1")
        #expect(ConfigLoader.locate(configFile: nil, configDir: both, environment: [:]) == "\(both)/config.yml")
        try tree.file("both/config.yaml", "a: 1")
        #expect(ConfigLoader.locate(configFile: "", configDir: both + "/", environment: [:]) == "\(both)/config.yaml")
        let empty = try tree.directory("empty")
        #expect(ConfigLoader.locate(configFile: nil, configDir: empty, environment: [:]) == "\(empty)/config.yaml")
    }

    @Test func searchOrderFollowsStunmeshGo() {
        #expect(ConfigLoader.searchDirectories(environment: ["STUNMESH_CONFIG_DIR": "/srv/cfg", "HOME": "/home/u"])
                == ["/srv/cfg", "/etc/stunmesh", "/home/u/.stunmesh", "."])
        #expect(ConfigLoader.searchDirectories(environment: ["STUNMESH_CONFIG_DIR": "", "HOME": ""])
                == ["/etc/stunmesh", "."])
    }

    @Test func firstExistingFileWinsDirectoryByDirectory() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let first = try tree.directory("first")
        let second = try tree.directory("second")
        let third = try tree.directory("third")
        try tree.directory("first/config.yaml")  // a directory is not a config file
        try tree.file("second/config.yml", "a: 1")
        try tree.file("third/config.yaml", "a: 1")
        #expect(ConfigLoader.firstConfigFile(in: [first, second, third]) == "\(second)/config.yml")
        #expect(ConfigLoader.firstConfigFile(in: [first, third, second]) == "\(third)/config.yaml")
        #expect(ConfigLoader.firstConfigFile(in: [first]) == nil)
    }

    @Test func environmentDirectoryThenHome() throws {
        // The real /etc/stunmesh sits between the two; skip when this machine has one.
        guard ConfigLoader.firstConfigFile(in: ["/etc/stunmesh"]) == nil else { return }
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let env = try tree.directory("env")
        let home = try tree.directory("home")
        try tree.directory("home/.stunmesh")
        try tree.file("home/.stunmesh/config.yaml", "a: 1")
        #expect(ConfigLoader.locate(configFile: nil, configDir: nil, environment: ["STUNMESH_CONFIG_DIR": env, "HOME": home])
                == "\(home)/.stunmesh/config.yaml")
        try tree.file("env/config.yml", "a: 1")
        #expect(ConfigLoader.locate(configFile: nil, configDir: nil, environment: ["STUNMESH_CONFIG_DIR": env, "HOME": home])
                == "\(env)/config.yml")
    }

    @Test func loadReadsTheFileAndLabelsErrorsWithIt() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let good = try tree.file("good.yaml", ConfigParseTests.fullExample)
        #expect(try ConfigLoader.load(path: good) == ConfigLoader.parse(yaml: ConfigParseTests.fullExample,
                                                                        canonicalPath: DaemonFiles.canonical(good)))
        let bad = try tree.file("bad.yaml", "refresh_interval: 5\n" + ConfigParseTests.fullExample.split(separator: "\n")
            .filter { !$0.hasPrefix("refresh_interval") }.joined(separator: "\n"))
        #expect(throws: ConfigError(keyPath: "refresh_interval",
                                    message: "must be a duration such as 90s, 10m or 1h30m (time: missing unit in duration \"5\")",
                                    line: 1, file: bad)) {
            try ConfigLoader.load(path: bad)
        }
        do {
            _ = try ConfigLoader.load(path: "\(tree.root)/missing.yaml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.file == "\(tree.root)/missing.yaml")
            #expect(error.keyPath == "" && error.line == nil)
            #expect(error.message.hasPrefix("cannot read the config file: "))
        }
        do {
            _ = try ConfigLoader.load(path: tree.root)
            Issue.record("loaded a directory")
        } catch {
            #expect(error.message.hasPrefix("cannot read the config file: "))
        }
    }

    @Test func loadRefusesHugeAndNonUTF8Files() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let huge = try tree.file("huge.yaml", String(repeating: "# filler\n", count: 200_000))
        #expect(throws: ConfigError(keyPath: "", message: "the config file is larger than 1048576 bytes", file: huge)) {
            try ConfigLoader.load(path: huge)
        }
        let binary = "\(tree.root)/binary.yaml"
        let fd = try Sys.open(binary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try Sys.writeAll(fd, [0x61, 0x3A, 0x20, 0xFF, 0xFE, 0x0A])
        Sys.close(fd)
        defer { try? Sys.unlink(binary) }
        #expect(throws: ConfigError(keyPath: "", message: "the config file is not UTF-8 text", file: binary)) {
            try ConfigLoader.load(path: binary)
        }
    }
}
