import SystemCalls

/// Turns the YAML tree of a config file into a validated `Config`: stunmesh-go's schema and
/// defaults, with errors that name the key and line, and warnings for what was defaulted or
/// ignored.
struct ConfigDecoder {
    /// The file name put into warnings.
    let file: String?
    /// Warnings gathered so far.
    var warnings: [String] = []

    init(file: String?) { self.file = file }

    /// The config in `root` (nil for a file without a document).
    mutating func decode(_ root: YAMLNode?) throws(ConfigError) -> Config {
        guard let root, !root.isNull else { throw ConfigError(keyPath: "", message: "the config file is empty") }
        guard case .mapping = root.content else {
            throw ConfigError(keyPath: "", message: "the config must be a mapping of keys, not \(root.kindName)",
                              line: root.line)
        }
        var top = try ConfigFields(root, path: "", line: nil)
        var config = Config()
        if let node = top.take("refresh_interval") {
            config.refreshInterval = try node.duration(at: "refresh_interval")
        }
        if let node = top.take("log") { config.log = try decodeLog(node, line: top.line(of: "log")) }
        config.stunAddresses = try decodeStun(top.take("stun"), line: top.line(of: "stun"))
        if let node = top.take("ping_monitor") {
            config.pingMonitor = try decodePingMonitor(node, line: top.line(of: "ping_monitor"))
        }
        if let node = top.take("monitor") { config.monitor = try decodeMonitor(node, line: top.line(of: "monitor")) }
        if let node = top.take("status_file") { config.statusFile = try node.nonEmptyString(at: "status_file") }
        if let node = top.take("metrics_file") {
            let path = try node.string(at: "metrics_file")
            config.metricsFile = path.isEmpty ? nil : path
        }
        if let node = top.take("plugins") { config.plugins = try decodePlugins(node, line: top.line(of: "plugins")) }
        guard let interfaces = top.take("interfaces") else {
            throw top.missing("interfaces", "at least one interface with one peer is required")
        }
        config.interfaces = try decodeInterfaces(interfaces, line: top.line(of: "interfaces"),
                                                 plugins: config.plugins, pingMonitor: config.pingMonitor)
        warnings += top.unusedKeyWarnings(file: file)
        config.warnings = warnings
        return config
    }

    /// Appends a warning about `keyPath`.
    mutating func warn(_ keyPath: String, _ message: String, line: Int?) {
        warnings.append(ConfigError(keyPath: keyPath, message: message, line: line, file: file).description)
    }

    /// `log: { level, format }`.
    mutating func decodeLog(_ node: YAMLNode, line: Int?) throws(ConfigError) -> LogSettings {
        var fields = try ConfigFields(node, path: "log", line: line)
        var log = LogSettings()
        if let level = fields.take("level") {
            // zerolog accepts level names in any case.
            let text = try level.string(at: "log.level").lowercased()
            log.level = try YAMLNode(.scalar(text, quoted: true), line: level.line).choice(at: "log.level", empty: .info)
        }
        if let format = fields.take("format") { log.format = try format.choice(at: "log.format", empty: .console) }
        warnings += fields.unusedKeyWarnings(file: file)
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
            var fields = try ConfigFields(node, path: "stun", line: line)
            if let address = fields.take("address") { single = try address.string(at: "stun.address") }
            if let addresses = fields.take("addresses") {
                listLine = addresses.line
                if case .scalar(let text, _) = addresses.content {
                    list = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                } else {
                    list = try addresses.stringList(at: "stun.addresses")
                }
            }
            warnings += fields.unusedKeyWarnings(file: file)
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
        var fields = try ConfigFields(node, path: "ping_monitor", line: line)
        var settings = PingMonitorSettings()
        if let n = fields.take("interval") {
            settings.interval = try Self.probeDuration(n, at: "ping_monitor.interval", in: PingMonitorSettings.intervalRange)
            settings.intervalIsExplicit = true
        }
        if let n = fields.take("timeout") {
            settings.timeout = try Self.probeDuration(n, at: "ping_monitor.timeout", in: PingMonitorSettings.timeoutRange)
        }
        if let n = fields.take("fixed_retries") {
            settings.fixedRetries = try n.integer(at: "ping_monitor.fixed_retries", in: 0...1000)
        }
        warnings += fields.unusedKeyWarnings(file: file)
        return settings
    }

    /// `monitor: { mode, poll_interval, mapping_check_interval }` (stunmeshd's extension).
    mutating func decodeMonitor(_ node: YAMLNode, line: Int?) throws(ConfigError) -> MonitorSettings {
        var fields = try ConfigFields(node, path: "monitor", line: line)
        var settings = MonitorSettings()
        if let n = fields.take("mode") { settings.mode = try n.choice(at: "monitor.mode", empty: .events) }
        if let n = fields.take("poll_interval") { settings.pollInterval = try n.duration(at: "monitor.poll_interval") }
        if let n = fields.take("mapping_check_interval") {
            settings.mappingCheckInterval = try n.duration(at: "monitor.mapping_check_interval")
            // Every check is a STUN exchange with every server: more often than every 10 s is a flood.
            guard settings.mappingCheckInterval >= 10 else {
                throw ConfigError(keyPath: "monitor.mapping_check_interval", message: "must be at least 10s", line: n.line)
            }
        }
        warnings += fields.unusedKeyWarnings(file: file)
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
