import EventLoop
import Probes

// The one registry of store kinds: the config value of each kind (`PluginConfig`), how a
// `plugins:` entry picks its kind, and which descriptor each kind has. A new kind of store is its
// implementation (Sources/Probes/Stores), its kind file here (config section → `PluginConfig`,
// and `StoreDescriptor`), and one case with its lines in this file; docs/architecture.md.

/// One store for records (`plugins.<name>`): where a node writes its encrypted endpoint and reads
/// its peer's. Its text forms (`description`, `debugDescription`, mirrors) never show the
/// Cloudflare token, so printing a config cannot leak it.
public enum PluginConfig: Equatable, Sendable {
    /// Files in a local directory (`type: builtin, name: file, directory: …`), a stunmeshd
    /// extension for tests and shared file systems.
    case file(directory: String)
    /// A program run per operation with a JSON request on stdin (`type: exec`).
    case exec(command: String, args: [String], dedup: Bool)
    /// A shell command run per operation with `args` and `STUNMESH_*` lines on stdin
    /// (`type: shell`; stunmesh-go's contrib shell plugins take their settings as args).
    case shell(command: String, args: [String] = [], dedup: Bool)
    /// TXT records in a Cloudflare zone (`type: builtin, name: cloudflare`). `apiURL` replaces
    /// the API base (a stunmeshd extension for tests); `caFile` is a PEM bundle to verify TLS
    /// with instead of the system's (`ca_file`, an extension; verification is never off).
    case cloudflare(zone: String, token: String, subdomain: String?, apiURL: String?, dedup: Bool, caFile: String? = nil)
    /// An OpenDHT proxy (`type: builtin, name: opendht`): endpoints tried in order, envelope
    /// magic, request timeout in seconds, and how often an unchanged record is republished
    /// (`republish_interval`, a stunmeshd extension: values expire after 10 minutes).
    /// `caFile` as for Cloudflare, for https endpoints.
    case openDHT(endpoints: [String], magic: String, timeout: Double, republishInterval: Double = 300, caFile: String? = nil)
}

extension PluginConfig {
    /// The read budget this kind of store gets (for tests and docs), at the default refresh.
    public var readBudgetForTests: StoreReadPacer.Budget {
        descriptor(refreshInterval: Config.defaultRefreshInterval).readBudget
    }

    /// The descriptor of this store's kind (timeouts, write policy, cost, budget, maker), with
    /// the daemon's `refresh_interval`.
    func descriptor(refreshInterval: Double) -> StoreDescriptor {
        switch self {
        case .file(let directory): FileStoreKind.descriptor(directory: directory, refreshInterval: refreshInterval)
        case .exec(let command, let args, let dedup):
            PluginStoreKind.descriptor(.exec, command: command, args: args, dedup: dedup, refreshInterval: refreshInterval)
        case .shell(let command, let args, let dedup):
            PluginStoreKind.descriptor(.shell, command: command, args: args, dedup: dedup, refreshInterval: refreshInterval)
        case .cloudflare(let zone, let token, let subdomain, let apiURL, _, let caFile):
            CloudflareStoreKind.descriptor(zone: zone, token: token, subdomain: subdomain, apiURL: apiURL, caFile: caFile,
                                           refreshInterval: refreshInterval)
        case .openDHT(let endpoints, let magic, let timeout, let republishInterval, let caFile):
            OpenDHTStoreKind.descriptor(endpoints: endpoints, magic: magic, timeout: timeout,
                                        republishInterval: republishInterval, caFile: caFile)
        }
    }
}

extension ConfigDecoder {
    /// One plugin: `type: exec | shell | builtin` (builtin with `name: cloudflare | opendht |
    /// file`), plus `dedup` for the stores that keep values.
    mutating func decodePlugin(_ fields: inout ConfigFields) throws(ConfigError) -> PluginConfig {
        guard let typeNode = fields.take("type") else { throw fields.missing("type", "is required (exec, shell or builtin)") }
        let type = try typeNode.string(at: fields.path("type"))
        let dedup = try fields.take("dedup").map { n throws(ConfigError) in try dedupFlag(n, at: fields.path("dedup")) } ?? false
        switch type {
        case "exec", "shell":
            fields.kind = type
            return try decodePluginStore(&fields, type == "exec" ? .exec : .shell, dedup: dedup)
        case "builtin":
            guard let nameNode = fields.take("name") else {
                throw fields.missing("name", "is required for a builtin plugin (cloudflare, opendht or file)")
            }
            let name = try nameNode.string(at: fields.path("name"))
            fields.kind = name
            switch name {
            case "file":
                return try decodeFileStore(&fields)
            case "cloudflare":
                return try decodeCloudflare(&fields, dedup: dedup)
            case "opendht":
                if dedup { warn(fields.path("dedup"), "is ignored for opendht (its values expire)", line: fields.line(of: "dedup")) }
                return try decodeOpenDHT(&fields)
            default:
                throw ConfigError(keyPath: fields.path("name"),
                                  message: "must be one of cloudflare, opendht, file, not \"\(name)\"", line: nameNode.line)
            }
        default:
            throw ConfigError(keyPath: fields.path("type"), message: "must be one of exec, shell, builtin, not \"\(type)\"",
                              line: typeNode.line)
        }
    }

    /// `dedup` as stunmesh-go reads it (`parseDedup`): a YAML boolean, or the string "true" or "1";
    /// anything else is false there, so it is false here too, with a warning unless it is a
    /// plain false.
    mutating func dedupFlag(_ node: YAMLNode, at path: String) throws(ConfigError) -> Bool {
        let text = try node.string(at: path)
        guard case .scalar(_, let quoted) = node.content else { return false }
        if !quoted, let value = YAMLNode.yamlBool(text) { return value }
        if quoted, text == "true" || text == "1" { return true }
        warn(path, "\(quoted ? "\"\(text)\"" : text) is read as false (stunmesh-go takes only true, \"true\" or \"1\"); "
             + "write true or false", line: node.line)
        return false
    }
}

extension PluginConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The plugin with the token shown as "<redacted>".
    public var description: String {
        switch self {
        case .file(let directory):
            return "file(directory: \(directory))"
        case .exec(let command, let args, let dedup):
            return "exec(command: \(command), args: \(args), dedup: \(dedup))"
        case .shell(let command, let args, let dedup):
            return "shell(command: \(command), args: \(args), dedup: \(dedup))"
        case .cloudflare(let zone, _, let subdomain, let apiURL, let dedup, let caFile):
            return "cloudflare(zone: \(zone), token: <redacted>, subdomain: \(subdomain ?? "-"), "
                + "apiURL: \(apiURL ?? "-"), dedup: \(dedup), caFile: \(caFile ?? "-"))"
        case .openDHT(let endpoints, let magic, let timeout, let republishInterval, let caFile):
            return "openDHT(endpoints: \(endpoints), magic: \(magic), timeout: \(timeout), "
                + "republishInterval: \(republishInterval), caFile: \(caFile ?? "-"))"
        }
    }

    /// Same as `description`, so that collections and `String(reflecting:)` stay redacted.
    public var debugDescription: String { description }

    /// A childless mirror, so that `dump` prints `description` and not the token.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
