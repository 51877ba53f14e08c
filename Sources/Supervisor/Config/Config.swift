/// The daemon's configuration: stunmesh-go's config.yaml schema, typed and validated, with the
/// defaults applied. Built by `ConfigLoader`; the supervisor reads it and nothing else.
public struct Config: Equatable, Sendable {
    /// Seconds between publish/establish rounds (`refresh_interval`, default 10m).
    public var refreshInterval: Double
    /// `refresh_interval` when the file has none: 10 minutes, as stunmesh-go.
    public static let defaultRefreshInterval = 600.0
    /// Log level and format (`log`).
    public var log: LogSettings
    /// STUN servers as "host:port", in order, without duplicates (`stun.addresses`, plus the
    /// deprecated `stun.address` in front). Never empty.
    public var stunAddresses: [String]
    /// Settings shared by every peer's ping check (`ping_monitor`).
    public var pingMonitor: PingMonitorSettings
    /// How the path is watched (`monitor`, a stunmeshd extension).
    public var monitor: MonitorSettings
    /// The WireGuard interfaces to manage, in file order (`interfaces`).
    public var interfaces: [InterfaceConfig]
    /// The stores records go to, by the name peers refer to them with (`plugins`).
    public var plugins: [String: PluginConfig]
    /// Things worth logging at startup that did not stop the load: defaults applied, keys
    /// ignored (stunmesh-go ignores unknown keys, so they are not errors here either).
    public var warnings: [String]
    /// Where the health snapshot is written as JSON for `stunmeshd status` (`status_file`, a
    /// stunmeshd extension; default /run/stunmeshd/status.json).
    public var statusFile: String
    /// Where Prometheus metrics are written for node_exporter's textfile collector
    /// (`metrics_file`, a stunmeshd extension); nil, the default, writes none.
    public var metricsFile: String?
    /// Where the newest record timestamp accepted from each partner is kept across restarts
    /// (`state_file`, a stunmeshd extension; `ReplayMemory`); "" keeps it in memory only. Default:
    /// `DaemonFiles.defaultStateFile` of the config's path.
    public var stateFile = DaemonFiles.defaultStateFile(configPath: nil)

    /// A config with stunmesh-go's defaults for everything not given.
    public init(refreshInterval: Double = Config.defaultRefreshInterval, log: LogSettings = LogSettings(),
                stunAddresses: [String] = [Config.defaultStunAddress],
                pingMonitor: PingMonitorSettings = PingMonitorSettings(),
                monitor: MonitorSettings = MonitorSettings(),
                interfaces: [InterfaceConfig] = [], plugins: [String: PluginConfig] = [:], warnings: [String] = [],
                statusFile: String = Config.defaultStatusFile, metricsFile: String? = nil) {
        self.refreshInterval = refreshInterval
        self.log = log
        self.stunAddresses = stunAddresses
        self.pingMonitor = pingMonitor
        self.monitor = monitor
        self.interfaces = interfaces
        self.plugins = plugins
        self.warnings = warnings
        self.statusFile = statusFile
        self.metricsFile = metricsFile
    }

    /// The STUN server used when the file names none, as in stunmesh-go.
    public static let defaultStunAddress = "stun.l.google.com:19302"

    /// The status file used when the config names none (systemd's RuntimeDirectory=stunmeshd).
    public static let defaultStatusFile = "/run/stunmeshd/status.json"
}

/// How stunmeshd watches the path (`monitor: { mode, poll_interval, mapping_check_interval }`, a stunmeshd extension that
/// stunmesh-go ignores).
public struct MonitorSettings: Equatable, Sendable {
    /// `events` (default): WireGuard counters, pings and netlink trigger a repair at once;
    /// `interval`: only the refresh interval, as stunmesh-go does (kept for comparison).
    public var mode: MonitorMode
    /// Seconds between two reads of WireGuard's counters (default 1s).
    public var pollInterval: Double
    /// Seconds between two STUN checks of WireGuard port's public mapping while the peers are
    /// idle (`mapping_check_interval`, default 5m; `MappingCheck`). Event mode only.
    public var mappingCheckInterval: Double

    /// Event-driven, polling WireGuard every second, unless given.
    public init(mode: MonitorMode = .events, pollInterval: Double = 1,
                mappingCheckInterval: Double = MappingCheck.defaultInterval) {
        self.mode = mode
        self.pollInterval = pollInterval
        self.mappingCheckInterval = mappingCheckInterval
    }
}

/// The `monitor.mode` values.
public enum MonitorMode: String, Equatable, Sendable, CaseIterable {
    /// Probes and netlink trigger repairs; the refresh interval is the fallback.
    case events
    /// Probes off: only the refresh interval.
    case interval
}

/// How much to log and in what shape (`log: { level, format }`).
public struct LogSettings: Equatable, Sendable {
    /// The lowest level logged (default info).
    public var level: LogLevelSetting
    /// Human-readable lines or JSON objects (default console).
    public var format: LogFormatSetting

    /// Settings, info/console unless given.
    public init(level: LogLevelSetting = .info, format: LogFormatSetting = .console) {
        self.level = level
        self.format = format
    }
}

/// The `log.level` values, stunmesh-go's (zerolog's) names in increasing severity; the logger setup
/// maps them onto `Logger.Level`.
public enum LogLevelSetting: String, Equatable, Sendable, CaseIterable {
    /// Everything.
    case trace
    /// Debugging detail.
    case debug
    /// Normal operation (the default).
    case info
    /// Something is off but handled.
    case warn
    /// An operation failed.
    case error
    /// The daemon cannot go on.
    case fatal
    /// A programming error.
    case panic
    /// Nothing at all.
    case disabled
}

/// The `log.format` values: how log lines are written.
public enum LogFormatSetting: String, Equatable, Sendable, CaseIterable {
    /// Human-readable text (the default).
    case console
    /// One JSON object per line.
    case json
}

/// Settings of the ping check shared by all peers (`ping_monitor`); a peer's own `ping.interval`
/// and `ping.timeout` override the first two.
public struct PingMonitorSettings: Equatable, Sendable {
    /// Seconds between pings (default 1s).
    public var interval: Double
    /// Seconds without a reply after which the peer counts as unreachable (default 1s).
    public var timeout: Double
    /// Fast re-establish attempts after a failure before backing off (default 3).
    public var fixedRetries: Int
    /// Whether `ping_monitor.interval` is in the file: then every peer with a ping target is
    /// pinged at that interval (stunmesh-go's probing). Without it, probes go out only to
    /// confirm a suspicion (docs/path-judgement.md).
    public var intervalIsExplicit = false

    /// The shortest and longest probe interval and timeout accepted, seconds.
    public static let intervalRange = 0.1...3600.0
    /// See `intervalRange`.
    public static let timeoutRange = 0.05...60.0

    /// Settings, stunmesh-go's defaults unless given.
    public init(interval: Double = 1, timeout: Double = 1, fixedRetries: Int = 3) {
        self.interval = interval
        self.timeout = timeout
        self.fixedRetries = fixedRetries
    }
}
