extension ConfigDecoder {
    /// `plugins: { <name>: { type, … } }`.
    mutating func decodePlugins(_ node: YAMLNode, line: Int?) throws(ConfigError) -> [String: PluginConfig] {
        let fields = try ConfigFields(node, path: "plugins", line: line)
        var plugins: [String: PluginConfig] = [:]
        for entry in fields.entries {
            var plugin = try ConfigFields(entry.value, path: fields.path(entry.key), line: entry.line)
            plugins[entry.key] = try decodePlugin(&plugin)
            warnings += plugin.unusedKeyWarnings(file: file)
        }
        return plugins
    }

    /// One plugin: `type: exec | shell | builtin` (builtin with `name: cloudflare | opendht |
    /// file`), plus `dedup` for the stores that keep values.
    mutating func decodePlugin(_ fields: inout ConfigFields) throws(ConfigError) -> PluginConfig {
        guard let typeNode = fields.take("type") else { throw fields.missing("type", "is required (exec, shell or builtin)") }
        let type = try typeNode.string(at: fields.path("type"))
        let dedup = try fields.take("dedup")?.bool(at: fields.path("dedup")) ?? false
        switch type {
        case "exec":
            let command = try required(&fields, "command")
            let args = try fields.take("args")?.stringList(at: fields.path("args")) ?? []
            return .exec(command: command, args: args, dedup: dedup)
        case "shell":
            let command = try required(&fields, "command")
            let args = try fields.take("args")?.stringList(at: fields.path("args")) ?? []
            return .shell(command: command, args: args, dedup: dedup)
        case "builtin":
            guard let nameNode = fields.take("name") else {
                throw fields.missing("name", "is required for a builtin plugin (cloudflare, opendht or file)")
            }
            switch try nameNode.string(at: fields.path("name")) {
            case "file":
                return .file(directory: try required(&fields, "directory"))
            case "cloudflare":
                return try decodeCloudflare(&fields, dedup: dedup)
            case "opendht":
                if dedup { warn(fields.path("dedup"), "is ignored for opendht (its values expire)", line: fields.line(of: "dedup")) }
                return try decodeOpenDHT(&fields)
            case let name:
                throw ConfigError(keyPath: fields.path("name"),
                                  message: "must be one of cloudflare, opendht, file, not \"\(name)\"", line: nameNode.line)
            }
        default:
            throw ConfigError(keyPath: fields.path("type"), message: "must be one of exec, shell, builtin, not \"\(type)\"",
                              line: typeNode.line)
        }
    }

    /// `zone`, `token` (never quoted in errors), optional `subdomain` and `api_url`.
    mutating func decodeCloudflare(_ fields: inout ConfigFields, dedup: Bool) throws(ConfigError) -> PluginConfig {
        let zone = try required(&fields, "zone")
        let token = try required(&fields, "token")
        let subdomain = try fields.take("subdomain")?.string(at: fields.path("subdomain"))
        var apiURL: String?
        if let n = fields.take("api_url") {
            let text = try n.string(at: fields.path("api_url"))
            guard let url = Self.httpURL(text) else {
                throw ConfigError(keyPath: fields.path("api_url"), message: "must start with http:// or https://", line: n.line)
            }
            apiURL = url
        }
        return .cloudflare(zone: zone, token: token, subdomain: subdomain?.isEmpty == false ? subdomain : nil,
                           apiURL: apiURL, dedup: dedup, caFile: try caFile(&fields))
    }

    /// `endpoint` and `endpoints` (merged in that order, http(s) URLs without a trailing slash,
    /// duplicates dropped, at least one), `magic` (default stunmesh-v1), `timeout` (a duration or
    /// a number of seconds, default 15s), `republish_interval` (a duration under the 10-minute
    /// expiry of OpenDHT values, default 5m).
    mutating func decodeOpenDHT(_ fields: inout ConfigFields) throws(ConfigError) -> PluginConfig {
        var given: [(text: String, path: String, line: Int)] = []
        if let n = fields.take("endpoint") { given.append((try n.string(at: fields.path("endpoint")), fields.path("endpoint"), n.line)) }
        if let n = fields.take("endpoints") {
            for (index, text) in try n.stringList(at: fields.path("endpoints")).enumerated() {
                given.append((text, "\(fields.path("endpoints"))[\(index)]", n.line))
            }
        }
        var endpoints: [String] = []
        for item in given where !item.text.isEmpty {
            guard let url = Self.httpURL(item.text) else {
                throw ConfigError(keyPath: item.path, message: "must start with http:// or https://", line: item.line)
            }
            if !endpoints.contains(url) { endpoints.append(url) }
        }
        guard !endpoints.isEmpty else { throw fields.missing("endpoints", "is required (one or more proxy URLs)") }
        var magic = try fields.take("magic")?.string(at: fields.path("magic")) ?? ""
        if magic.isEmpty { magic = "stunmesh-v1" }
        var timeout = 15.0
        if let n = fields.take("timeout") {
            if case .scalar(let text, quoted: false) = n.content, let seconds = Double(text), seconds.isFinite {
                guard seconds > 0 else {
                    throw ConfigError(keyPath: fields.path("timeout"), message: "must be longer than zero", line: n.line)
                }
                timeout = seconds
            } else {
                timeout = try n.duration(at: fields.path("timeout"))
            }
        }
        var republish = 300.0
        if let n = fields.take("republish_interval") {
            republish = try n.duration(at: fields.path("republish_interval"))
            guard republish > 0, republish < 600 else {
                throw ConfigError(keyPath: fields.path("republish_interval"),
                                  message: "must be longer than zero and shorter than 10m (OpenDHT values expire after 10 minutes)",
                                  line: n.line)
            }
        }
        return .openDHT(endpoints: endpoints, magic: magic, timeout: timeout, republishInterval: republish,
                        caFile: try caFile(&fields))
    }

    /// `ca_file`: a PEM bundle (an absolute path) that HTTPS is verified against instead of the
    /// system's CA store. Verification itself cannot be turned off.
    mutating func caFile(_ fields: inout ConfigFields) throws(ConfigError) -> String? {
        guard let n = fields.take("ca_file") else { return nil }
        let path = try n.string(at: fields.path("ca_file"))
        guard path.hasPrefix("/") else {
            throw ConfigError(keyPath: fields.path("ca_file"), message: "must be an absolute path to a PEM file", line: n.line)
        }
        return path
    }

    /// The non-empty string under `key`, or an error naming it.
    func required(_ fields: inout ConfigFields, _ key: String) throws(ConfigError) -> String {
        guard let node = fields.take(key) else { throw fields.missing(key) }
        return try node.nonEmptyString(at: fields.path(key))
    }

    /// `text` without trailing slashes when it is an http:// or https:// URL with a host.
    static func httpURL(_ text: String) -> String? {
        guard let scheme = ["http://", "https://"].first(where: { text.prefix($0.count).lowercased() == $0 })
        else { return nil }
        let host = text.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !text.contains(where: \.isWhitespace) else { return nil }
        var url = Substring(text)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
