import SystemCalls

/// Turns the YAML tree of a config file into a validated `Config`: stunmesh-go's schema and
/// defaults, with errors that name the key and line, and warnings for what was defaulted or
/// ignored.
struct ConfigDecoder {
    /// The file name put into warnings.
    let file: String?
    /// Turns a ping target that is a name into an address (as stunmesh-go does when a peer is
    /// added); nil leaves names unresolved (`stunmeshd check` touches no DNS).
    let resolve: ((String) -> IPAddress?)?
    /// Warnings gathered so far.
    var warnings: [String] = []
    /// Errors gathered so far: a section that fails is recorded and the rest is still read, so
    /// that one run lists every problem of the file.
    var errors: [ConfigError] = []
    /// Peers skipped as stunmesh-go skips them (a bad key, an undefined store), with why: warnings
    /// while other peers remain, errors when none does (a daemon with no peer has nothing to do).
    var skipped: [ConfigError] = []

    /// The config file's canonical path, which names the default status file (`DaemonFiles`).
    let canonicalPath: String?

    init(file: String?, resolve: ((String) -> IPAddress?)? = nil, canonicalPath: String? = nil) {
        self.file = file
        self.resolve = resolve
        self.canonicalPath = canonicalPath
    }

    /// The config in `root` (nil for a file without a document); throws every problem found,
    /// the first with the others in `also`.
    mutating func decode(_ root: YAMLNode?) throws(ConfigError) -> Config {
        let config = try decodeAll(root)
        if var first = errors.first {
            first.also = Array(errors.dropFirst())
            throw first
        }
        return config
    }

    /// The config in `root`, with `errors` and `warnings` holding everything found; only a file
    /// that is no mapping at all throws.
    mutating func decodeAll(_ root: YAMLNode?) throws(ConfigError) -> Config {
        guard let root, !root.isNull else { throw ConfigError(keyPath: "", message: "the config file is empty") }
        guard case .mapping = root.content else {
            throw ConfigError(keyPath: "", message: "the config must be a mapping of keys, not \(root.kindName)",
                              line: root.line)
        }
        var top = try ConfigFields(root, path: "", pattern: "", line: nil)
        var config = Config()
        config.statusFile = DaemonFiles.defaultStatusFile(configPath: canonicalPath)
        config.stateFile = DaemonFiles.defaultStateFile(configPath: canonicalPath)
        if let node = top.take("refresh_interval"),
           let value = attempt({ _ throws(ConfigError) in try node.duration(at: "refresh_interval") }) {
            config.refreshInterval = value
        }
        if let node = top.take("log"), let log = attempt({ d throws(ConfigError) in try d.decodeLog(node, line: top.line(of: "log")) }) {
            config.log = log
        }
        let stun = top.take("stun")
        if let servers = attempt({ d throws(ConfigError) in try d.decodeStun(stun, line: top.line(of: "stun")) }) {
            config.stunAddresses = servers
        }
        if let node = top.take("ping_monitor"),
           let settings = attempt({ d throws(ConfigError) in try d.decodePingMonitor(node, line: top.line(of: "ping_monitor")) }) {
            config.pingMonitor = settings
        }
        if let node = top.take("monitor"),
           let settings = attempt({ d throws(ConfigError) in try d.decodeMonitor(node, line: top.line(of: "monitor")) }) {
            config.monitor = settings
        }
        if let node = top.take("status_file"),
           let path = attempt({ _ throws(ConfigError) in try node.nonEmptyString(at: "status_file") }) {
            config.statusFile = path
        }
        if let node = top.take("metrics_file"), let path = attempt({ _ throws(ConfigError) in try node.string(at: "metrics_file") }) {
            config.metricsFile = path.isEmpty ? nil : path
        }
        if let node = top.take("state_file"), let path = attempt({ _ throws(ConfigError) in try node.string(at: "state_file") }) {
            config.stateFile = path
        }
        var definedPlugins: Set<String> = []
        if let node = top.take("plugins") {
            if case .mapping(let pairs) = node.content { definedPlugins = Set(pairs.map(\.key)) }
            config.plugins = attempt({ d throws(ConfigError) in try d.decodePlugins(node, line: top.line(of: "plugins")) }) ?? [:]
        }
        if let interfaces = top.take("interfaces") {
            let pingMonitor = config.pingMonitor
            config.interfaces = attempt({ d throws(ConfigError) in
                try d.decodeInterfaces(interfaces, line: top.line(of: "interfaces"), plugins: definedPlugins,
                                       pingMonitor: pingMonitor)
            }) ?? []
        } else {
            errors.append(top.missing("interfaces", "at least one interface with one peer is required"))
        }
        finish(top)
        if config.interfaces.isEmpty {
            errors += skipped
        } else {
            warnings += skipped.map { "\($0); the peer is skipped, as stunmesh-go skips it" }
        }
        config.warnings = warnings
        return config
    }

    /// Runs `body`; its error is recorded (and nil returned) instead of ending the decode.
    mutating func attempt<T>(_ body: (inout ConfigDecoder) throws(ConfigError) -> T) -> T? {
        do {
            return try body(&self)
        } catch {
            errors.append(error)
            return nil
        }
    }

    /// Judges the keys of `fields` nobody read (`ConfigFields.leftovers`).
    mutating func finish(_ fields: ConfigFields) {
        let (warnings, errors) = fields.leftovers(file: file)
        self.warnings += warnings
        self.errors += errors
    }

    /// Appends a warning about `keyPath`.
    mutating func warn(_ keyPath: String, _ message: String, line: Int?) {
        warnings.append(ConfigError(keyPath: keyPath, message: message, line: line, file: file).description)
    }

    /// `log: { level, format }`.
    mutating func decodeLog(_ node: YAMLNode, line: Int?) throws(ConfigError) -> LogSettings {
        var fields = try ConfigFields(node, path: "log", pattern: "log", line: line)
        var log = LogSettings()
        if let level = fields.take("level") {
            // zerolog accepts level names in any case.
            let text = try level.string(at: "log.level").lowercased()
            log.level = try YAMLNode(.scalar(text, quoted: true), line: level.line).choice(at: "log.level", empty: .info)
        }
        if let format = fields.take("format") { log.format = try format.choice(at: "log.format", empty: .console) }
        finish(fields)
        return log
    }

    /// `stun: { addresses, address }`: the deprecated single address goes first, empty entries
    /// and duplicates are dropped; nothing given means Google's server (with a warning), an
    /// explicit list with nothing usable is an error.
    mutating func decodeStun(_ node: YAMLNode?, line: Int?) throws(ConfigError) -> [String] {
        var single: String?
        var list: [String]?
        var listLine = line
        if let node {
            var fields = try ConfigFields(node, path: "stun", pattern: "stun", line: line)
            if let address = fields.take("address") { single = try address.string(at: "stun.address") }
            if let addresses = fields.take("addresses") {
                listLine = addresses.line
                if case .scalar(let text, _) = addresses.content {
                    list = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                } else {
                    list = try addresses.stringList(at: "stun.addresses")
                }
            }
            finish(fields)
        }
        if list == nil && (single ?? "").isEmpty {
            warn("stun.addresses", "no STUN server configured, using \(Config.defaultStunAddress)", line: line)
            return [Config.defaultStunAddress]
        }
        var servers: [String] = []
        for address in [single ?? ""] + (list ?? []) where !address.isEmpty && !servers.contains(address) {
            guard Self.isHostPort(address) else {
                throw ConfigError(keyPath: "stun.addresses", message: "\"\(address)\" is not host:port", line: listLine)
            }
            servers.append(address)
        }
        guard !servers.isEmpty else {
            throw ConfigError(keyPath: "stun.addresses", message: "has no usable STUN server (the list is empty)",
                              line: listLine)
        }
        return servers
    }

    /// `ping_monitor: { interval, timeout, fixed_retries }`.
    mutating func decodePingMonitor(_ node: YAMLNode, line: Int?) throws(ConfigError) -> PingMonitorSettings {
        var fields = try ConfigFields(node, path: "ping_monitor", pattern: "ping_monitor", line: line)
        var settings = PingMonitorSettings()
        if let n = fields.take("interval") {
            settings.interval = try Self.probeDuration(n, at: "ping_monitor.interval", in: PingMonitorSettings.intervalRange)
            settings.intervalIsExplicit = true
        }
        if let n = fields.take("timeout") {
            settings.timeout = try Self.probeDuration(n, at: "ping_monitor.timeout", in: PingMonitorSettings.timeoutRange)
        }
        if let n = fields.take("fixed_retries") {
            settings.fixedRetries = try n.goInteger(at: "ping_monitor.fixed_retries", in: 0...1000)
        }
        finish(fields)
        return settings
    }

    /// `monitor: { mode, poll_interval, mapping_check_interval }` (stunmeshd's extension).
    mutating func decodeMonitor(_ node: YAMLNode, line: Int?) throws(ConfigError) -> MonitorSettings {
        var fields = try ConfigFields(node, path: "monitor", pattern: "monitor", line: line)
        var settings = MonitorSettings()
        if let n = fields.take("mode") { settings.mode = try n.choice(at: "monitor.mode", empty: .events) }
        if let n = fields.take("poll_interval") { settings.pollInterval = try n.duration(at: "monitor.poll_interval") }
        if let n = fields.take("mapping_check_interval") {
            // Every check is a STUN exchange with every server: more often than every 10 s is a flood.
            settings.mappingCheckInterval = try Self.probeDuration(n, at: "monitor.mapping_check_interval",
                                                                   in: MappingCheck.intervalRange)
        }
        finish(fields)
        return settings
    }

    /// Whether `text` is "host:port" or "[v6]:port" with a port from 1 to 65535.
    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = text[..<colon]
        let port = text[text.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
              let number = Int(port), (1...65535).contains(number) else { return false }
        if host.hasPrefix("[") {
            return host.hasSuffix("]") && IPAddress(String(host.dropFirst().dropLast()))?.isIPv4 == false
        }
        return !host.isEmpty && !host.contains(":") && !host.contains(where: \.isWhitespace)
    }
}
