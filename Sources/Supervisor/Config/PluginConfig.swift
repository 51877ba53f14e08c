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
