import Glibc
import SystemCalls

/// `stunmeshd check [-c FILE | -config-dir DIR]`: reads the config the daemon would load and
/// validates all of it with the daemon's own decoder, without touching WireGuard, the network or
/// DNS (ping targets that are names are not resolved). Prints every error and warning with
/// file:line and key, then one closing line; exits 1 when there is an error (the daemon would
/// refuse the file), 0 otherwise. Beyond the decoder it looks at what the file names on this
/// host: store programs that are not executable, CA files and store directories that are missing
/// (warnings: the file may be meant for another host).
public enum CheckCommand {
    /// Runs the command; returns the exit status.
    public static func run(options: CommandLineOptions, environment: [String: String],
                           output: (String) -> Void) -> Int32 {
        guard let path = ConfigLoader.locate(configFile: options.configFile, configDir: options.configDir,
                                             environment: environment) else {
            output("stunmeshd check: no config file found (looked for config.yaml / config.yml in $STUNMESH_CONFIG_DIR, "
                   + "/etc/stunmesh, $HOME/.stunmesh, .); use -c FILE\n")
            return 1
        }
        let report = ConfigLoader.check(path: path)
        var warnings = report.warnings
        if let config = report.config { warnings += hostWarnings(config, file: path) }
        for error in report.errors { output("error: \(error)\n") }
        for warning in warnings { output("warning: \(warning)\n") }
        output(summary(report, warnings: warnings.count, path: path) + "\n")
        return report.errors.isEmpty ? 0 : 1
    }

    /// The closing line: what was found, or how many problems.
    static func summary(_ report: ConfigLoader.Report, warnings: Int, path: String) -> String {
        let warningText = warnings == 0 ? "" : ", \(count(warnings, "warning"))"
        guard let config = report.config else {
            return "\(path): \(count(report.errors.count, "error"))\(warningText); stunmeshd would not start"
        }
        let peers = config.interfaces.reduce(0) { $0 + $1.peers.count }
        return "\(path): OK: \(count(config.interfaces.count, "interface")), \(count(peers, "peer")), "
            + "\(count(config.plugins.count, "store"))\(warningText)"
    }

    static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    /// What the config names on this host that is not there: programs, CA files, directories.
    static func hostWarnings(_ config: Config, file: String) -> [String] {
        var warnings: [String] = []
        for (name, plugin) in config.plugins.sorted(by: { $0.key < $1.key }) {
            let path = "plugins.\(name)"
            switch plugin {
            case .exec(let command, _, _), .shell(let command, _, _):
                if access(command, X_OK) != 0 {
                    warnings.append("\(file): \(path).command: \(command) is not an executable file on this host")
                }
            case .file(let directory):
                if let info = try? Sys.stat(directory), info.st_mode & S_IFMT == S_IFDIR { break }
                warnings.append("\(file): \(path).directory: \(directory) is not a directory on this host")
            case .cloudflare(_, _, _, _, _, let caFile?), .openDHT(_, _, _, _, let caFile?):
                if access(caFile, R_OK) != 0 {
                    warnings.append("\(file): \(path).ca_file: \(caFile) cannot be read on this host")
                }
            case .cloudflare, .openDHT:
                break
            }
        }
        return warnings
    }
}
