/// What the command line asks for. stunmesh-go parses its flags with Go's `flag` package, so
/// the same spellings work here: `-c FILE`, `-config FILE`, `-config-dir DIR`, `-oneshot`,
/// `-version`, `-h`/`-help`, each also as `--name` and `-name=value`; `--` ends the flags.
public struct CommandLineOptions: Equatable, Sendable {
    /// The config file (`-c`, `-config`); takes priority over `configDir`.
    public var configFile: String?
    /// The directory holding config.yaml or config.yml (`-config-dir`).
    public var configDir: String?
    /// Publish, set every peer's endpoint, then exit (`-oneshot`; docs/migrating.md says how this
    /// differs from stunmesh-go's three fixed rounds).
    public var oneshot: Bool
    /// Print the version and exit (`-version`).
    public var version: Bool
    /// Print `usage` and exit successfully (`-h`, `-help`).
    public var help: Bool
    /// The first argument that is not a flag (flags end there, as in Go), e.g. "status".
    public var subcommand: String?
    /// `status --json`: print the status file's JSON instead of the table.
    public var json: Bool
    /// `status -status-file FILE`: read this file instead of the config's `status_file`.
    public var statusFile: String?
    /// `status -peer NAME`: that peer's details only.
    public var peer: String?
    /// `status -all`: every peer's details, however many.
    public var all = false

    /// Options as given; everything off by default.
    public init(configFile: String? = nil, configDir: String? = nil, oneshot: Bool = false, version: Bool = false,
                help: Bool = false, subcommand: String? = nil, json: Bool = false, statusFile: String? = nil) {
        self.configFile = configFile
        self.configDir = configDir
        self.oneshot = oneshot
        self.version = version
        self.help = help
        self.subcommand = subcommand
        self.json = json
        self.statusFile = statusFile
    }

    /// The help text printed for `-h` and after a usage error.
    public static let usage = """
        Usage: stunmeshd [flags]
               stunmeshd [-c FILE | -config-dir DIR] status [-json] [-peer NAME | -all] [-status-file FILE]
               stunmeshd check [-c FILE | -config-dir DIR]

        Keeps WireGuard peers connected directly through NATs, compatible with stunmesh-go.

        Flags:
          -c, -config FILE   the config file (takes priority over -config-dir)
          -config-dir DIR    the directory holding config.yaml or config.yml
          -oneshot           publish, set every peer's endpoint and start its handshake, then
                             exit: 0 once every peer is done, 1 when one is not within 120 s
          -version           print the version and exit
          -h, -help          print this help and exit

        status: show the running daemon's peers (from its status file; exit 3 when no
        daemon runs): every peer's details up to 20 peers, a summary beyond that. -peer NAME
        shows one peer, -all every peer, -json the JSON; -status-file FILE reads FILE instead
        of the config's status_file (default /run/stunmeshd/status.json).

        check: read and validate the config as the daemon would, without touching WireGuard,
        the network or DNS; print every error and warning with file:line and key; exit 1 when
        the daemon would refuse the file.

        Without -c or -config-dir, config.yaml then config.yml is looked for in
        $STUNMESH_CONFIG_DIR, /etc/stunmesh, $HOME/.stunmesh and the current directory.

        """

    /// Parses the arguments after the program name, the way Go's `flag` package does: flags stop
    /// at the first non-flag argument or after `--`; a boolean flag takes a value only as
    /// `-flag=value`; a string flag takes `-flag=value` or the next argument. After the `status`
    /// command its own flags follow, parsed the same way. Unknown flags, missing values, status
    /// flags without `status`, and more than one non-flag argument are `UsageError`s.
    public static func parse(_ args: [String]) throws(UsageError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var rest = args[...]
        try parseFlags(&rest, into: &options)
        if let command = rest.first {
            options.subcommand = command
            rest = rest.dropFirst()
            if command == "status" || command == "check" { try parseFlags(&rest, into: &options) }
            if let extra = rest.first { throw UsageError("unexpected argument: \(extra)") }
        }
        if options.subcommand != "status" {
            if options.json { throw UsageError("-json is a flag of the status command") }
            if options.statusFile != nil { throw UsageError("-status-file is a flag of the status command") }
            if options.peer != nil { throw UsageError("-peer is a flag of the status command") }
            if options.all { throw UsageError("-all is a flag of the status command") }
        }
        return options
    }

    /// Takes flags off the front of `rest` until a non-flag argument or `--`.
    private static func parseFlags(_ rest: inout ArraySlice<String>, into options: inout CommandLineOptions) throws(UsageError) {
        while let arg = rest.first {
            if arg == "--" {
                rest = rest.dropFirst()
                break
            }
            guard arg.count >= 2, arg.hasPrefix("-") else { break }
            rest = rest.dropFirst()
            var name = Substring(arg.dropFirst(arg.hasPrefix("--") ? 2 : 1))
            guard let first = name.first, first != "-", first != "=" else {
                throw UsageError("bad flag syntax: \(arg)")
            }
            var value: Substring?
            if let equals = name.firstIndex(of: "=") {
                value = name[name.index(after: equals)...]
                name = name[..<equals]
            }
            switch name {
            case "c", "config", "config-dir", "status-file", "peer":
                if value == nil, let next = rest.first {
                    value = Substring(next)
                    rest = rest.dropFirst()
                }
                guard let value else { throw UsageError("flag needs an argument: -\(name)") }
                switch name {
                case "config-dir": options.configDir = String(value)
                case "status-file": options.statusFile = String(value)
                case "peer": options.peer = String(value)
                default: options.configFile = String(value)
                }
            case "json":
                options.json = try boolean(value, flag: name)
            case "all":
                options.all = try boolean(value, flag: name)
            case "oneshot":
                options.oneshot = try boolean(value, flag: name)
            case "version":
                options.version = try boolean(value, flag: name)
            case "h", "help":
                options.help = true
            default:
                throw UsageError("flag provided but not defined: -\(name)")
            }
        }
    }

    /// A boolean flag's value: true when bare, else what Go's `strconv.ParseBool` accepts.
    private static func boolean(_ value: Substring?, flag: Substring) throws(UsageError) -> Bool {
        switch value {
        case nil, "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        case let text?: throw UsageError("invalid boolean value \"\(text)\" for -\(flag): parse error")
        }
    }
}

/// A command line the daemon cannot run with; the message names the flag, in Go's words
/// ("flag provided but not defined: -x"), and the caller prints it with `CommandLineOptions.usage`.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// An error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
