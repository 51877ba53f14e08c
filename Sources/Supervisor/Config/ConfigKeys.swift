import Probes

/// The one table of config.yaml keys: every key stunmeshd reads and every key some stunmesh-go
/// version reads, with its type, its range, whether stunmesh-go knows it, and what a reload does
/// when it changes. The decoder asks it what a key at a place is (`ConfigKeys.judge`: known, a
/// stunmesh-go key stunmeshd does not use, a near-miss typo, or unknown), reload asks it which
/// keys cannot change while running (`ConfigDiff`), `stunmeshd check` reports through the decoder,
/// and docs/config.md's key table is this table printed (`ConfigKeys.markdownTable`, checked by
/// ConfigKeysTests).
///
/// Paths are patterns: `*` stands for a name the operator chose (an interface, a peer, a store).
/// Keys of one store kind name it in `kinds`.
public enum ConfigKeys {
    /// What a key holds, for the docs and the decoder's messages.
    public enum ValueType: Equatable, Sendable {
        /// A Go duration string (`90s`, `1h30m`), within the range when there is one (seconds).
        case duration(ClosedRange<Double>?)
        /// A whole number within the range.
        case integer(ClosedRange<Int>)
        /// true or false, read as stunmesh-go reads it (docs/config.md, *How values are read*).
        case boolean
        /// Text.
        case string
        /// One of these words.
        case choice([String])
        /// A list of strings.
        case list
        /// A mapping of the keys below it.
        case mapping
        /// A mapping of names the operator chooses (interfaces, peers, stores).
        case names
    }

    /// Who reads a key.
    public enum Reader: Equatable, Sendable {
        /// Both daemons, with the same meaning.
        case both
        /// stunmeshd only; stunmesh-go ignores it (a file with it still runs on stunmesh-go).
        case stunmeshd
        /// stunmeshd only, and stunmesh-go cannot run a file with it for that peer (`plugins:` on a peer).
        case stunmeshdBreaksGo
        /// Some stunmesh-go version reads it; stunmeshd accepts it with a warning and does not use it.
        case goOnly
    }

    /// What a SIGHUP does when the key's value changed.
    public enum Reload: Equatable, Sendable {
        /// Applied at once; no peer restarts.
        case live
        /// The peers it concerns restart with the new value; the others run on.
        case peers
        /// The reload is refused, the running config stays: restart stunmeshd to change it.
        case restart
        /// Nothing to apply (stunmesh-go's keys stunmeshd does not use).
        case none
    }

    /// One key.
    public struct Key: Sendable {
        /// The dotted pattern, e.g. `interfaces.*.peers.*.ping.interval`.
        public let path: String
        /// Store kinds the key belongs to (`plugins.*.…` only); empty: every kind.
        public let kinds: [String]
        /// What it holds.
        public let type: ValueType
        /// Who reads it.
        public let reader: Reader
        /// What a reload does.
        public let reload: Reload
        /// The default, as the docs print it ("" when there is none).
        public let defaultText: String
        /// One line for the docs.
        public let meaning: String
        /// For `reload == .restart`: the key's value in a config, to compare across a reload.
        let value: (@Sendable (Config) -> String)?

        init(_ path: String, kinds: [String] = [], _ type: ValueType, _ reader: Reader, _ reload: Reload,
             default defaultText: String = "", _ meaning: String, value: (@Sendable (Config) -> String)? = nil) {
            self.path = path
            self.kinds = kinds
            self.type = type
            self.reader = reader
            self.reload = reload
            self.defaultText = defaultText
            self.meaning = meaning
            self.value = value
        }

        /// The last component of the path.
        public var name: String { String(path.split(separator: ".").last ?? "") }
        /// The pattern of the mapping the key is in ("" at the top level).
        public var parent: String {
            guard let dot = path.lastIndex(of: ".") else { return "" }
            return String(path[..<dot])
        }
    }

    static let peer = "interfaces.*.peers.*"
    static let httpKinds = ["cloudflare", "opendht"]
    static let storeKinds = ["file", "exec", "shell", "cloudflare", "opendht"]

    /// Every key, in the order docs/config.md lists them.
    public static let all: [Key] = [
        Key("refresh_interval", .duration(nil), .both, .peers, default: "10m",
            "fallback round: re-discover, publish and read every peer's record this often"),
        Key("log", .mapping, .both, .live, "logging"),
        Key("log.level", .choice(LogLevelSetting.allCases.map(\.rawValue)), .both, .live, default: "info",
            "lowest level logged (any case, as zerolog)"),
        Key("log.format", .choice(LogFormatSetting.allCases.map(\.rawValue)), .both, .live, default: "console",
            "`console`: logfmt lines; `json`: one JSON object per line"),
        Key("stun", .mapping, .both, .peers, "STUN servers"),
        Key("stun.addresses", .list, .both, .peers, default: "stun.l.google.com:19302",
            "`host:port` list (or one comma-separated string); an explicit list with nothing usable is an error"),
        Key("stun.address", .string, .both, .peers, "deprecated single server, tried first"),
        Key("ping_monitor", .mapping, .both, .peers, "probe settings shared by every peer"),
        Key("ping_monitor.interval", .duration(PingMonitorSettings.intervalRange), .both, .peers, default: "1s",
            "given: every peer with a ping target is pinged this often (stunmesh-go's probing); "
                + "absent: probes only confirm a suspicion (docs/path-judgement.md)"),
        Key("ping_monitor.timeout", .duration(PingMonitorSettings.timeoutRange), .both, .peers, default: "1s",
            "a probe unanswered this long counts as lost"),
        Key("ping_monitor.fixed_retries", .integer(0...1000), .both, .peers, default: "3",
            "fast re-establish attempts after a failure before backing off"),
        Key("monitor", .mapping, .stunmeshd, .restart, "how the path is watched"),
        Key("monitor.mode", .choice(MonitorMode.allCases.map(\.rawValue)), .stunmeshd, .restart, default: "events",
            "`events`: probes, counters and netlink trigger a repair at once; `interval`: only the refresh round",
            value: { $0.monitor.mode.rawValue }),
        Key("monitor.poll_interval", .duration(nil), .stunmeshd, .restart, default: "1s",
            "how often WireGuard's counters are read while idle (0.1 s while traffic moves; traffic into an idle tunnel wakes a read at once)",
            value: { "\($0.monitor.pollInterval)" }),
        Key("monitor.mapping_check_interval", .duration(MappingCheck.intervalRange), .stunmeshd, .restart, default: "5m",
            "how often one STUN exchange checks our public mapping while the tunnels are idle (per WireGuard port)",
            value: { "\($0.monitor.mappingCheckInterval)" }),
        Key("status_file", .string, .stunmeshd, .live, default: "/run/stunmeshd/status.json",
            "where the health snapshot is written for `stunmeshd status`"),
        Key("metrics_file", .string, .stunmeshd, .live, "Prometheus textfile written for node_exporter (none by default)"),
        Key("state_file", .string, .stunmeshd, .restart, default: "/var/lib/stunmeshd/replay.json",
            "the newest record timestamp accepted from each partner, kept across restarts (replay protection); "
                + "\"\" keeps it in memory only; named after the config's path unless given",
            value: { $0.stateFile }),
        Key("interfaces", .names, .both, .peers, "the WireGuard interfaces, by name"),
        Key("interfaces.*.protocol", .choice(InterfaceProtocol.allCases.map(\.rawValue)), .both, .peers,
            default: "ipv4", "address families this node discovers and publishes"),
        Key("interfaces.*.backend", .choice(WireGuardBackendChoice.allCases.map(\.rawValue)), .stunmeshd, .peers,
            default: "auto", "kernel, userspace (UAPI socket) or auto (kernel when the kernel has the device)"),
        Key("interfaces.*.peers", .names, .both, .peers, "the peers to keep connected, by name"),
        Key("\(peer).public_key", .string, .both, .peers,
            "the peer's WireGuard key (base64, 32 bytes); a peer with a bad key is skipped with a warning, as stunmesh-go does"),
        Key("\(peer).plugin", .string, .both, .peers,
            "the store (a name under `plugins`) records go to; a name not defined there skips the peer with a warning"),
        Key("\(peer).extra_plugins", .list, .stunmeshd, .peers,
            "more stores after `plugin`: publish to all, read from all, the newest record wins (docs/stores.md)"),
        Key("\(peer).plugins", .list, .stunmeshdBreaksGo, .peers,
            "several stores instead of `plugin` (accepted with a warning: stunmesh-go finds no store for such a peer; "
                + "write `plugin` + `extra_plugins`)"),
        Key("\(peer).protocol", .choice(PeerProtocol.allCases.map(\.rawValue)), .both, .peers, default: "ipv4",
            "which of the peer's published endpoints to use"),
        Key("\(peer).description", .string, .both, .none, "free text (stunmesh-go logs it)"),
        Key("\(peer).keepalive", .integer(0...65535), .stunmeshd, .peers,
            "persistent keepalive seconds, kept as given (0 = off); unset: learned from the NATs (docs/keepalive.md)"),
        Key("\(peer).ping", .mapping, .both, .peers, "where probes go"),
        Key("\(peer).ping.enabled", .boolean, .both, .peers, default: "false", "probe this peer through the tunnel"),
        Key("\(peer).ping.target", .string, .both, .peers,
            "an address inside the tunnel, or a name resolved at start (IPv4 first, as stunmesh-go)"),
        Key("\(peer).ping.interval", .duration(PingMonitorSettings.intervalRange), .both, .peers,
            default: "ping_monitor.interval", "this peer's probe interval (makes its probing periodic)"),
        Key("\(peer).ping.timeout", .duration(PingMonitorSettings.timeoutRange), .both, .peers,
            default: "ping_monitor.timeout", "this peer's probe timeout"),
        Key("plugins", .names, .both, .peers, "the stores, by name"),
        Key("plugins.*.type", .choice(["builtin", "exec", "shell"]), .both, .peers, "the store's protocol"),
        Key("plugins.*.name", kinds: ["file", "cloudflare", "opendht"], .choice(["cloudflare", "opendht", "file"]),
            .both, .peers, "which builtin store (`file` is stunmeshd's)"),
        Key("plugins.*.dedup", kinds: ["exec", "shell", "cloudflare"], .boolean, .both, .peers, default: "false",
            "do not rewrite an unchanged record (true, or the string \"true\" or \"1\", as stunmesh-go)"),
        Key("plugins.*.command", kinds: ["exec", "shell"], .string, .both, .peers, "the program run per operation"),
        Key("plugins.*.args", kinds: ["exec", "shell"], .list, .both, .peers, "its arguments (for shell a stunmeshd addition)"),
        Key("plugins.*.zone", kinds: ["cloudflare"], .string, .both, .peers, "the DNS zone"),
        Key("plugins.*.token", kinds: ["cloudflare"], .string, .both, .peers, "API token (never logged)"),
        Key("plugins.*.subdomain", kinds: ["cloudflare"], .string, .both, .peers, "records go to `<key>.<subdomain>.<zone>`"),
        Key("plugins.*.api_url", kinds: ["cloudflare"], .string, .stunmeshd, .peers,
            default: "https://api.cloudflare.com/client/v4", "API base (tests, proxies)"),
        Key("plugins.*.ca_file", kinds: httpKinds, .string, .stunmeshd, .peers,
            "PEM bundle HTTPS is verified against instead of the system's CAs"),
        Key("plugins.*.endpoints", kinds: ["opendht"], .list, .both, .peers, "proxy URLs, tried in order"),
        Key("plugins.*.endpoint", kinds: ["opendht"], .string, .both, .peers, "one proxy URL, tried first"),
        Key("plugins.*.magic", kinds: ["opendht"], .string, .both, .peers, default: "stunmesh-v1", "envelope magic"),
        Key("plugins.*.timeout", kinds: ["opendht"], .duration(nil), .both, .peers, default: "15s",
            "request timeout (a duration, or a number of seconds as stunmesh-go reads it)"),
        Key("plugins.*.republish_interval", kinds: ["opendht"], .duration(nil), .stunmeshd, .peers, default: "5m",
            "how often the record is rewritten before OpenDHT's 10-minute expiry (under 10m)"),
        Key("plugins.*.directory", kinds: ["file"], .string, .stunmeshd, .peers, "the directory holding one file per key"),
        // stunmesh-go's keys stunmeshd does not use: accepted with a warning, never a typo.
        Key("interfaces.*.proxy", .mapping, .goOnly, .none, "stunmesh-go's UDP proxy in front of WireGuard (Windows, BSD)"),
        Key("interfaces.*.proxy.listen", .integer(0...65535), .goOnly, .none, "stunmesh-go's proxy port"),
        Key("interfaces.*.proxy.enabled", .boolean, .goOnly, .none, "stunmesh-go's proxy switch"),
        Key("interfaces.*.proxy.fib", .integer(0...65535), .goOnly, .none, "stunmesh-go's FreeBSD routing table"),
        Key("interfaces.*.listen_interfaces", .list, .goOnly, .none, "stunmesh-go's STUN listen restriction (darwin, BSD)"),
        Key("interfaces.*.listen_default_route", .boolean, .goOnly, .none, "the same (darwin, BSD)"),
        Key("wg", .string, .goOnly, .none, "stunmesh-go before multi-interface support: the one interface"),
        Key("cloudflare", .mapping, .goOnly, .none, "stunmesh-go before plugins: its Cloudflare settings"),
        Key("cloudflare.api_key", .string, .goOnly, .none, "the same"),
        Key("cloudflare.api_email", .string, .goOnly, .none, "the same"),
        Key("cloudflare.api_token", .string, .goOnly, .none, "the same"),
        Key("cloudflare.zone_name", .string, .goOnly, .none, "the same"),
    ]

    /// The keys by path, for lookups (a path may appear once per store kind).
    static let byParent: [String: [Key]] = Dictionary(grouping: all, by: \.parent)

    /// The keys that may appear in the mapping at `pattern`, for a store of `kind` (plugins only).
    static func keys(in pattern: String, kind: String?) -> [Key] {
        (byParent[pattern] ?? []).filter { $0.kinds.isEmpty || kind == nil || $0.kinds.contains(kind!) }
    }

    /// The key at `pattern.name`, if the table has it (for any store kind).
    public static func key(_ path: String) -> Key? { all.first { $0.path == path } }

    /// What a key found in a file is.
    enum Verdict: Equatable {
        /// A key of this place.
        case known
        /// A key stunmesh-go reads that stunmeshd does not use.
        case goOnly
        /// A key of another store kind.
        case otherKind([String])
        /// Close to `suggestion`, a key of this place, and no stunmesh-go key: a typo.
        case nearMiss(suggestion: String)
        /// Nothing known.
        case unknown
    }

    /// Judges `name` found in the mapping at `pattern` (a store of `kind`).
    static func judge(_ name: String, in pattern: String, kind: String?) -> Verdict {
        let here = keys(in: pattern, kind: kind)
        if let key = here.first(where: { $0.name == name }) { return key.reader == .goOnly ? .goOnly : .known }
        let everyKind = byParent[pattern] ?? []
        if let other = everyKind.first(where: { $0.name == name }) { return .otherKind(other.kinds) }
        let close = here.map { ($0, editDistance(name, $0.name)) }
            .filter { key, distance in distance <= (key.name.count <= 4 ? 1 : 2) }
            .min { $0.1 < $1.1 }
        if let (key, _) = close { return .nearMiss(suggestion: key.name) }
        return .unknown
    }

    /// Levenshtein distance between two keys (ASCII in practice; compared by Unicode scalars).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The first key that cannot change while running whose value differs between the two configs.
    static func restartOnlyChange(old: Config, new: Config) -> Key? {
        all.first { key in key.reload == .restart && key.value.map { $0(old) != $0(new) } == true }
    }

    /// docs/config.md's key table, printed from `all`.
    public static var markdownTable: String {
        var lines = ["| key | type | default | stunmesh-go | on SIGHUP | meaning |", "|---|---|---|---|---|---|"]
        for key in all {
            let kinds = key.kinds.isEmpty ? "" : " (\(key.kinds.joined(separator: ", ")))"
            let defaultText = key.defaultText.isEmpty ? "" : "`\(key.defaultText)`"
            lines.append("| `\(key.path)`\(kinds) | \(typeText(key.type)) | \(defaultText) | \(readerText(key.reader)) | "
                + "\(reloadText(key.reload)) | \(key.meaning) |")
        }
        return lines.joined(separator: "\n")
    }

    static func typeText(_ type: ValueType) -> String {
        switch type {
        case .duration(let range?): "duration \(goDuration(range.lowerBound))–\(goDuration(range.upperBound))"
        case .duration(nil): "duration"
        case .integer(let range): "integer \(range.lowerBound)–\(range.upperBound)"
        case .boolean: "boolean"
        case .string: "string"
        case .choice(let words): words.joined(separator: " \\| ")
        case .list: "list"
        case .mapping: "mapping"
        case .names: "names"
        }
    }

    /// Seconds as the shortest Go duration string of whole units (`50ms`, `10s`, `1m`, `8760h`).
    static func goDuration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let whole = Int(seconds)
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }

    static func readerText(_ reader: Reader) -> String {
        switch reader {
        case .both: "reads it"
        case .stunmeshd: "ignores it"
        case .stunmeshdBreaksGo: "**cannot run it**"
        case .goOnly: "only stunmesh-go"
        }
    }

    static func reloadText(_ reload: Reload) -> String {
        switch reload {
        case .live: "applied"
        case .peers: "its peers restart"
        case .restart: "refused: restart"
        case .none: "—"
        }
    }
}
