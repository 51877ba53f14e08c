import Glibc
import JSON
import SystemCalls

/// `stunmeshd status [-json]`: reads the running daemon's status file and prints it as a table
/// (or as the JSON), or says plainly that no daemon runs. The file is found as the daemon finds
/// it: `-status-file`, else the `status_file` of the config the daemon would load, else the
/// default. A file whose pid is gone, or that has not been rewritten for a while, is stale.
public enum StatusCommand {
    /// The exit status when no daemon runs (LSB's "program is not running").
    public static let notRunningStatus: Int32 = 3

    /// What the status file says.
    public enum Verdict: Equatable, Sendable {
        /// A daemon runs; its status.
        case running(JSONValue)
        /// None runs; why we think so.
        case notRunning(String)
    }

    /// Runs the command; returns the exit status. `output` gets the table or JSON, `errorOutput`
    /// the "not running" message and warnings.
    public static func run(options: CommandLineOptions, environment: [String: String],
                           output: (String) -> Void, errorOutput: (String) -> Void) -> Int32 {
        let path = statusFilePath(options: options, environment: environment, warn: errorOutput)
        let now = WallClock.now()
        var verdict = judge(read(path), path: path, now: now, isAlive: isAlive)
        // Without -c, -config-dir or -status-file, every daemon of this host counts: one runs with
        // another config than the one found here, or several run (docs/operations.md).
        let chosen = options.statusFile != nil || options.configFile != nil || options.configDir != nil
        var others: [(path: String, status: JSONValue)] = []
        if !chosen {
            for candidate in DaemonFiles.candidates() where candidate != path {
                if case .running(let status) = judge(read(candidate), path: candidate, now: now, isAlive: isAlive) {
                    others.append((candidate, status))
                }
            }
            if case .notRunning = verdict, others.count == 1 {
                verdict = .running(others[0].status)
                others = []
            } else if case .notRunning = verdict, others.count > 1 {
                if options.json {
                    output(JSONValue.array(others.map(\.status)).encoded() + "\n")
                } else {
                    output(listing(others, now: now))
                }
                return 0
            }
        }
        switch verdict {
        case .running(let status):
            if options.json {
                output(status.encoded() + "\n")
                return 0
            }
            if let name = options.peer,
               !(status["peers"]?.arrayValue ?? []).contains(where: { $0["peer"]?.stringValue == name }) {
                errorOutput("stunmeshd status: no peer named \(name)\n")
                return 1
            }
            output(StatusText.render(status, now: now, detail: options.peer.map { .peer($0) } ?? (options.all ? .all : .automatic)))
            if !others.isEmpty { output("\n" + listing(others, now: now, heading: "also running")) }
            return 0
        case .notRunning(let why):
            errorOutput("stunmeshd is not running (\(why))\n")
            return notRunningStatus
        }
    }

    /// The status file's text, nil when it cannot be read.
    static func read(_ path: String) -> String? {
        (try? ConfigLoader.readFile(path)).flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// One line per running daemon: pid, config, peers up, and how to see it.
    static func listing(_ daemons: [(path: String, status: JSONValue)], now: Double,
                        heading: String = "stunmeshd daemons running") -> String {
        var text = "\(heading): \(daemons.count)\n"
        for (path, status) in daemons {
            let daemon = status["stunmeshd"]
            let pid = daemon?["pid"]?.intValue ?? 0
            let config = daemon?["config_file"]?.stringValue ?? "(no config file)"
            let summary = status["summary"]?["text"]?.stringValue ?? ""
            text += "  pid \(pid), config \(config): \(summary)\n    stunmeshd status -status-file \(path)\n"
        }
        return text
    }

    /// The status file to read: `-status-file`, else the config's `status_file`, else the
    /// default (with a warning when a config exists but does not load).
    static func statusFilePath(options: CommandLineOptions, environment: [String: String],
                               warn: (String) -> Void) -> String {
        if let file = options.statusFile { return file }
        guard let config = ConfigLoader.locate(configFile: options.configFile, configDir: options.configDir,
                                               environment: environment) else { return Config.defaultStatusFile }
        do {
            return try ConfigLoader.load(path: config, resolve: nil).statusFile
        } catch {
            warn("stunmeshd status: cannot use the config (\(error)); looking at \(Config.defaultStatusFile)\n")
            return Config.defaultStatusFile
        }
    }

    /// Judges a status file's content (nil: no file): running only if it parses, names a pid
    /// that is alive, and was written within three refresh intervals (at least 30 s).
    public static func judge(_ text: String?, path: String, now: Double, isAlive: (Int32) -> Bool) -> Verdict {
        guard let text else { return .notRunning("no status file at \(path)") }
        guard let status = try? JSONValue(parsing: text), let daemon = status["stunmeshd"],
              let pid = daemon["pid"]?.intValue, pid > 0, let pid32 = Int32(exactly: pid) else {
            return .notRunning("\(path) is not a stunmeshd status file")
        }
        guard isAlive(pid32) else { return .notRunning("pid \(pid) from \(path) is gone") }
        let refresh = daemon["refresh_s"]?.numberValue ?? 10
        if let written = daemon["written_at"]?.numberValue, now - written > max(30, 3 * refresh) {
            return .notRunning("\(path) was last written \(DurationText.age(now - written)) ago")
        }
        return .running(status)
    }

    /// kill(pid, 0): the process exists (EPERM: it does, but is not ours to signal).
    static func isAlive(_ pid: Int32) -> Bool {
        do {
            try Sys.kill(pid, 0)
            return true
        } catch {
            return error == .notPermitted
        }
    }
}
