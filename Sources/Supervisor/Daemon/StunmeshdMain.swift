import Glibc

/// The program: parses the command line, finds and loads the config, sets up logging, runs the
/// daemon. Returns the exit status; a bad config or command line prints why and returns 1
/// (2 for usage) before anything is touched.
public enum StunmeshdMain {
    /// The version `-version` prints.
    public static let version = "0.1.0"

    /// Runs stunmeshd with `arguments` (without the program name) and `environment`.
    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions.parse(arguments)
        } catch {
            printError("stunmeshd: \(error)\n\n\(CommandLineOptions.usage)")
            return 2
        }
        if options.help {
            print(CommandLineOptions.usage)
            return 0
        }
        if options.version {
            print("stunmeshd \(version)")
            return 0
        }
        switch options.subcommand {
        case nil: break
        case "status":
            return StatusCommand.run(options: options, environment: environment,
                                     output: { print($0, terminator: "") }, errorOutput: printError)
        case "check":
            return CheckCommand.run(options: options, environment: environment, output: { print($0, terminator: "") })
        case let command?:
            printError("stunmeshd: unknown command \(command)\n\n\(CommandLineOptions.usage)")
            return 2
        }
        guard let path = ConfigLoader.locate(configFile: options.configFile, configDir: options.configDir,
                                             environment: environment) else {
            printError("stunmeshd: no config file found (looked for config.yaml / config.yml in $STUNMESH_CONFIG_DIR, /etc/stunmesh, $HOME/.stunmesh, .); use -c FILE")
            return 1
        }
        let config: Config
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            for problem in error.all { printError("stunmeshd: invalid config: \(problem)") }
            return 1
        }
        let logger = makeLogger(config.log)
        for warning in config.warnings { logger.warning("\(warning)") }
        logger.info("config loaded", metadata: ["file": "\(path)"])
        let daemon: Daemon
        do {
            daemon = try Daemon(config: config, logger: logger)
        } catch {
            printError("stunmeshd: invalid config: \(error)")
            return 1
        }
        daemon.configPath = path
        daemon.environment = environment
        return daemon.run(oneshot: options.oneshot)
    }

    static func makeLogger(_ settings: LogSettings) -> Logger {
        Logger(format: settings.format == .json ? .json : .logfmt, minimumLevel: minimumLevel(settings.level))
    }

    /// stunmesh-go's level names onto the logger's; nil for `disabled`, which writes nothing.
    static func minimumLevel(_ level: LogLevelSetting) -> Logger.Level? {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        case .fatal, .panic: .critical
        case .disabled: nil
        }
    }

    static func printError(_ text: String) {
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
