import Probes
import SystemCalls

extension ConfigDecoder {
    /// `interfaces: { <name>: { protocol, backend, peers } }`, in file order. At least one peer in all.
    mutating func decodeInterfaces(_ node: YAMLNode, line: Int?, plugins: [String: PluginConfig],
                                   pingMonitor: PingMonitorSettings) throws(ConfigError) -> [InterfaceConfig] {
        let fields = try ConfigFields(node, path: "interfaces", line: line)
        var interfaces: [InterfaceConfig] = []
        for entry in fields.entries {
            let path = fields.path(entry.key)
            guard Self.isInterfaceName(entry.key) else {
                throw ConfigError(keyPath: path, message: "is not a valid interface name", line: entry.line)
            }
            var interface = try ConfigFields(entry.value, path: path, line: entry.line)
            var protocolChoice = InterfaceProtocol.ipv4
            if let n = interface.take("protocol") { protocolChoice = try n.choice(at: interface.path("protocol"), empty: .ipv4) }
            var backend = WireGuardBackendChoice.auto
            if let n = interface.take("backend") { backend = try n.choice(at: interface.path("backend"), empty: .auto) }
            var peers: [PeerConfig] = []
            if let n = interface.take("peers") {
                let peerFields = try ConfigFields(n, path: interface.path("peers"), line: interface.line(of: "peers"))
                for peerEntry in peerFields.entries {
                    let peer = try decodePeer(peerEntry, path: peerFields.path(peerEntry.key), plugins: plugins,
                                              pingMonitor: pingMonitor)
                    if let twin = peers.first(where: { $0.publicKeyBase64 == peer.publicKeyBase64 }) {
                        throw ConfigError(keyPath: "\(peerFields.path(peerEntry.key)).public_key",
                                          message: "is the same key as peer \(twin.name)", line: peerEntry.line)
                    }
                    peers.append(peer)
                }
            }
            if peers.isEmpty { warn(interface.path("peers"), "no peers, the interface is ignored", line: entry.line) }
            warnings += interface.unusedKeyWarnings(file: file)
            interfaces.append(InterfaceConfig(name: entry.key, protocol: protocolChoice, peers: peers, backend: backend))
        }
        guard interfaces.contains(where: { !$0.peers.isEmpty }) else {
            throw ConfigError(keyPath: "interfaces", message: "at least one interface with one peer is required",
                              line: line)
        }
        return interfaces.filter { !$0.peers.isEmpty }
    }

    /// One peer: `public_key`, `plugin` or `plugins` (one required), `protocol`, `ping`, `keepalive`, and
    /// `description` (read by stunmesh-go for its logs; accepted and unused).
    mutating func decodePeer(_ entry: YAMLNode.Entry, path: String, plugins: [String: PluginConfig],
                             pingMonitor: PingMonitorSettings) throws(ConfigError) -> PeerConfig {
        var fields = try ConfigFields(entry.value, path: path, line: entry.line)
        guard let keyNode = fields.take("public_key") else { throw fields.missing("public_key") }
        let key = try keyNode.string(at: fields.path("public_key"))
        guard Self.isWireGuardKey(key) else {
            throw ConfigError(keyPath: fields.path("public_key"), message: "must be a base64 WireGuard key (32 bytes)",
                              line: keyNode.line)
        }
        let stores = try decodePeerPlugins(&fields, plugins: plugins)
        var peer = PeerConfig(name: entry.key, publicKeyBase64: key, plugins: stores)
        if let n = fields.take("protocol") { peer.protocol = try n.choice(at: fields.path("protocol"), empty: .ipv4) }
        if let n = fields.take("ping") {
            peer.ping = try decodePing(n, path: fields.path("ping"), line: fields.line(of: "ping"), pingMonitor: pingMonitor)
        }
        if let n = fields.take("keepalive") {
            peer.keepalive = try n.integer(at: fields.path("keepalive"), in: 0...65535)
            peer.keepaliveIsExplicit = true
        }
        _ = fields.take("description")
        warnings += fields.unusedKeyWarnings(file: file)
        return peer
    }

    /// The peer's stores: `plugin: <name>` (stunmesh-go) or `plugins: [<name>, …]` (several
    /// stores, a stunmeshd extension), exactly one of the two; every name must be under
    /// `plugins`, none twice.
    func decodePeerPlugins(_ fields: inout ConfigFields, plugins: [String: PluginConfig]) throws(ConfigError) -> [String] {
        let single = fields.take("plugin"), several = fields.take("plugins")
        var names: [(name: String, path: String, line: Int?)] = []
        switch (single, several) {
        case (nil, nil):
            throw fields.missing("plugin", "is required (or plugins: [a list of names])")
        case (_?, let list?):
            throw ConfigError(keyPath: fields.path("plugins"), message: "give either plugin or plugins, not both",
                              line: list.line)
        case (let node?, nil):
            names = [(try node.nonEmptyString(at: fields.path("plugin")), fields.path("plugin"), node.line)]
        case (nil, let node?):
            for (index, name) in try node.stringList(at: fields.path("plugins")).enumerated() {
                names.append((name, "\(fields.path("plugins"))[\(index)]", node.line))
            }
            guard !names.isEmpty else {
                throw ConfigError(keyPath: fields.path("plugins"), message: "must name at least one plugin", line: node.line)
            }
        }
        var seen: [String] = []
        for item in names {
            guard !item.name.isEmpty else { throw ConfigError(keyPath: item.path, message: "must not be empty", line: item.line) }
            guard plugins[item.name] != nil else {
                throw ConfigError(keyPath: item.path, message: "no plugin named \"\(item.name)\" under plugins", line: item.line)
            }
            guard !seen.contains(item.name) else {
                throw ConfigError(keyPath: item.path, message: "names plugin \"\(item.name)\" twice", line: item.line)
            }
            seen.append(item.name)
        }
        return seen
    }

    /// `ping: { enabled, target, interval, timeout }`; nil unless enabled. The target must be an
    /// IP literal; interval and timeout fall back to `ping_monitor`.
    mutating func decodePing(_ node: YAMLNode, path: String, line: Int?,
                             pingMonitor: PingMonitorSettings) throws(ConfigError) -> PingSettings? {
        var fields = try ConfigFields(node, path: path, line: line)
        let enabled = try fields.take("enabled")?.bool(at: fields.path("enabled")) ?? false
        var target: IPAddress?
        if let n = fields.take("target") {
            let text = try n.string(at: fields.path("target"))
            guard let address = IPAddress(text) else {
                throw ConfigError(keyPath: fields.path("target"), message: "must be an IP address, not \"\(text)\"",
                                  line: n.line)
            }
            target = address
        }
        let intervalNode = fields.take("interval")
        let interval = try intervalNode.map { n throws(ConfigError) in
            try Self.probeDuration(n, at: fields.path("interval"), in: PingMonitorSettings.intervalRange)
        } ?? pingMonitor.interval
        let timeout = try fields.take("timeout").map { n throws(ConfigError) in
            try Self.probeDuration(n, at: fields.path("timeout"), in: PingMonitorSettings.timeoutRange)
        } ?? pingMonitor.timeout
        warnings += fields.unusedKeyWarnings(file: file)
        guard enabled else { return nil }
        guard let target else { throw fields.missing("target", "is required when ping is enabled") }
        return PingSettings(target: target, interval: interval, timeout: timeout,
                            periodic: intervalNode != nil || pingMonitor.intervalIsExplicit)
    }

    /// A probe duration within `range`, or an error naming the key and the range.
    static func probeDuration(_ node: YAMLNode, at path: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let value = try node.duration(at: path)
        guard range.contains(value) else {
            throw ConfigError(keyPath: path, message: "must be from \(DurationText.span(range.lowerBound)) "
                + "to \(DurationText.span(range.upperBound))", line: node.line)
        }
        return value
    }

    /// Whether `name` can be a Linux interface name: 1 to 15 bytes, no slash, colon or space,
    /// not "." or "..".
    static func isInterfaceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...15).contains(bytes.count) && name != "." && name != ".."
            && !bytes.contains { $0 <= 0x20 || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 >= 0x7F }
    }

    /// Whether `text` is the standard base64 of 32 bytes in canonical form: 43 alphabet
    /// characters, the last one with its two padding bits zero, then "=". This is exactly what
    /// a strict decoder (libsodium's, the one Record uses) accepts as a WireGuard key.
    static func isWireGuardKey(_ text: String) -> Bool {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count == 44, bytes[43] == UInt8(ascii: "=") else { return false }
        for (index, byte) in bytes[..<43].enumerated() {
            guard let value = alphabet.firstIndex(of: byte) else { return false }
            if index == 42 && value % 4 != 0 { return false }
        }
        return true
    }
}
