import Glibc
import JSON
import Probes
@testable import Supervisor
import SystemCalls
import Testing

/// `stunmeshd status`: finding the file, judging it, and the atomic writes behind it.
@Suite struct OpsStatusCommandTests {
    static func statusText(pid: Int32, writtenAt: Double) -> String {
        OpsSnapshotTests.snapshot([OpsSnapshotTests.peer()]).json().encoded()
            .replacingOccurrences(of: "\"pid\":4242", with: "\"pid\":\(pid)")
            .replacingOccurrences(of: "\"written_at\":1000", with: "\"written_at\":\(Int(writtenAt))")
    }

    @Test func runningWhenThePidLivesAndTheFileIsFresh() {
        let text = Self.statusText(pid: 77, writtenAt: 1000)
        guard case .running(let status) = StatusCommand.judge(text, path: "/s", now: 1005, isAlive: { $0 == 77 }) else {
            Issue.record("not judged running")
            return
        }
        #expect(status["peers"]?[0]?["peer"]?.stringValue == "peer_b")
    }

    @Test func notRunningCases() {
        let fresh = Self.statusText(pid: 77, writtenAt: 1000)
        #expect(StatusCommand.judge(nil, path: "/s", now: 1000, isAlive: { _ in true })
                == .notRunning("no status file at /s"))
        #expect(StatusCommand.judge("{\"x\":1}", path: "/s", now: 1000, isAlive: { _ in true })
                == .notRunning("/s is not a stunmeshd status file"))
        #expect(StatusCommand.judge(fresh, path: "/s", now: 1000, isAlive: { _ in false })
                == .notRunning("pid 77 from /s is gone"))
        #expect(StatusCommand.judge(fresh, path: "/s", now: 1031, isAlive: { _ in true })
                == .notRunning("/s was last written 31s ago"))
    }

    @Test func ourOwnPidIsAliveAndAnUnusedOneIsNot() {
        #expect(StatusCommand.isAlive(getpid()))
        #expect(!StatusCommand.isAlive(Int32.max - 1))
    }

    @Test func statusFileComesFromFlagThenConfigThenDefault() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let config = try tree.file("config.yaml", """
            status_file: \(tree.root)/run/status.json
            metrics_file: \(tree.root)/metrics.prom
            interfaces: { wg0: { peers: { b: { public_key: "\(ConfigTestKeys.b)", plugin: s } } } }
            plugins: { s: { type: builtin, name: file, directory: /tmp } }
            """)
        var warnings: [String] = []
        let warn: (String) -> Void = { warnings.append($0) }
        #expect(StatusCommand.statusFilePath(options: CommandLineOptions(configFile: config, statusFile: "/x"),
                                             environment: [:], warn: warn) == "/x")
        #expect(StatusCommand.statusFilePath(options: CommandLineOptions(configFile: config), environment: [:], warn: warn)
                == "\(tree.root)/run/status.json")
        #expect(StatusCommand.statusFilePath(options: CommandLineOptions(configDir: tree.root), environment: [:], warn: warn)
                == "\(tree.root)/run/status.json")
        #expect(try ConfigLoader.load(path: config).metricsFile == "\(tree.root)/metrics.prom")
        #expect(warnings.isEmpty)
        let broken = try tree.file("broken.yaml", "interfaces: [")
        #expect(StatusCommand.statusFilePath(options: CommandLineOptions(configFile: broken), environment: [:], warn: warn)
                == Config.defaultStatusFile)
        #expect(warnings.count == 1)
    }

    @Test func atomicWriteMakesDirectoriesAndReplaces() throws {
        let tree = try ConfigTempTree()
        let path = "\(tree.root)/a/b/status.json"
        defer {
            try? Sys.unlink(path)
            try? Sys.rmdir("\(tree.root)/a/b")
            try? Sys.rmdir("\(tree.root)/a")
            tree.remove()
        }
        try AtomicFile.write("first\n", to: path)
        try AtomicFile.write("second\n", to: path)
        #expect(String(decoding: try ConfigLoader.readFile(path), as: UTF8.self) == "second\n")
        let info = try Sys.stat(path)
        #expect(info.st_mode & 0o777 == 0o644)
        #expect(AtomicFile.directory(of: "/run/x.json") == "/run")
        #expect(AtomicFile.directory(of: "/x.json") == "/")
        #expect(AtomicFile.directory(of: "x.json") == ".")
        #expect(AtomicFile.baseName(of: "/run/stunmeshd/status.json") == "status.json")
    }

    @Test func commandLineOfStatus() throws {
        #expect(try CommandLineOptions.parse(["status", "-json"]) == CommandLineOptions(subcommand: "status", json: true))
        #expect(try CommandLineOptions.parse(["-c", "f", "status", "--json", "-status-file", "/s"])
                == CommandLineOptions(configFile: "f", subcommand: "status", json: true, statusFile: "/s"))
        #expect(try CommandLineOptions.parse(["status", "--status-file=/s"])
                == CommandLineOptions(subcommand: "status", statusFile: "/s"))
        #expect(throws: UsageError("-json is a flag of the status command")) { try CommandLineOptions.parse(["-json"]) }
        #expect(throws: UsageError("unexpected argument: more")) { try CommandLineOptions.parse(["status", "-json", "more"]) }
        #expect(throws: UsageError("flag provided but not defined: -x")) { try CommandLineOptions.parse(["status", "-x"]) }
        var one = CommandLineOptions(subcommand: "status")
        one.peer = "p3"
        #expect(try CommandLineOptions.parse(["status", "-peer", "p3"]) == one)
        var all = CommandLineOptions(subcommand: "status")
        all.all = true
        #expect(try CommandLineOptions.parse(["status", "-all"]) == all)
        #expect(throws: UsageError("-peer is a flag of the status command")) { try CommandLineOptions.parse(["-peer", "x"]) }
    }

    /// Many peers: a summary (how many in each condition, names of those not up), not 1,000
    /// peers' details; one peer on request, all with -all.
    @Test func manyPeersAreSummarisedAndOneIsShownOnRequest() {
        let wg = WireGuardPeerState(publicKeyHex: "00", endpoint: OpsSnapshotTests.theirs, lastHandshake: 995, rxBytes: 5000,
                                    txBytes: 7000, persistentKeepalive: 25)
        let none = WireGuardPeerState(publicKeyHex: "00", endpoint: nil, lastHandshake: 0, rxBytes: 0, txBytes: 0,
                                      persistentKeepalive: 0)
        var peers = (1...25).map { OpsSnapshotTests.peer(name: "p\($0)", wireGuard: none, state: .waitingToRetry(.readRemote)) }
        peers[0] = OpsSnapshotTests.peer(name: "live", wireGuard: wg)
        let json = OpsSnapshotTests.snapshot(peers).json()
        let summary = StatusText.render(json, now: 1000)
        #expect(summary.contains("25 peers (details of one: stunmeshd status -peer NAME; of all: -all):"))
        #expect(summary.contains("  24 not up: waiting to retry (read remote): p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, …"))
        #expect(summary.contains("  1 up: live"))
        #expect(!summary.contains("latest handshake"), "no details")
        let one = StatusText.render(json, now: 1000, detail: .peer("p7"))
        #expect(one.contains("peer: p7") && !one.contains("peer: p8") && one.contains("state:"))
        let every = StatusText.render(json, now: 1000, detail: .all)
        #expect(every.components("peer: ") == 25)
        let few = StatusText.render(OpsSnapshotTests.snapshot(Array(peers.prefix(3))).json(), now: 1000)
        #expect(few.components("peer: ") == 3, "up to 20 peers: details as before")
    }
}

extension String {
    fileprivate func components(_ target: String) -> Int { split(separator: target, omittingEmptySubsequences: false).count - 1 }
}

extension String {
    /// Test helper: every `target` replaced.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
