extension ConfigDecoder {
    /// `plugins: { <name>: { type, … } }`; a store that fails is recorded and the others are still read.
    mutating func decodePlugins(_ node: YAMLNode, line: Int?) throws(ConfigError) -> [String: PluginConfig] {
        let fields = try ConfigFields(node, path: "plugins", pattern: "plugins", line: line)
        var plugins: [String: PluginConfig] = [:]
        for entry in fields.entries {
            plugins[entry.key] = attempt { d throws(ConfigError) in
                // stunmesh-go hands a store its keys as a map and reads them exactly.
                var plugin = try ConfigFields(entry.value, path: fields.path(entry.key), pattern: "plugins.*", line: entry.line)
                plugin.foldsCase = false
                let config = try d.decodePlugin(&plugin)
                d.finish(plugin)
                return config
            }
        }
        return plugins
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
