import Probes
import SystemCalls

extension ConfigDecoder {
    /// `interfaces: { <name>: { protocol, backend, peers } }`, in file order. At least one peer in all.
    /// A peer that fails is recorded and the others are still read; a peer stunmesh-go would skip
    /// (a bad key, a store not defined under `plugins`) is skipped with a warning.
    mutating func decodeInterfaces(_ node: YAMLNode, line: Int?, plugins: Set<String>,
                                   pingMonitor: PingMonitorSettings) throws(ConfigError) -> [InterfaceConfig] {
        let fields = try ConfigFields(node, path: "interfaces", pattern: "interfaces", line: line)
        var interfaces: [InterfaceConfig] = []
        let errorsBefore = errors.count
        for entry in fields.entries {
            let path = fields.path(entry.key)
            guard Self.isInterfaceName(entry.key) else {
                errors.append(ConfigError(keyPath: path, message: "is not a valid interface name", line: entry.line))
                continue
            }
            let decoded = attempt { d throws(ConfigError) in
                try d.decodeInterface(entry, path: path, plugins: plugins, pingMonitor: pingMonitor)
            }
            if let decoded { interfaces.append(decoded) }
        }
        guard errors.count > errorsBefore || !skipped.isEmpty || interfaces.contains(where: { !$0.peers.isEmpty }) else {
            throw ConfigError(keyPath: "interfaces", message: "at least one interface with one peer is required",
                              line: line)
        }
        return interfaces.filter { !$0.peers.isEmpty }
    }

    /// One interface and its peers.
    mutating func decodeInterface(_ entry: YAMLNode.Entry, path: String, plugins: Set<String>,
                                  pingMonitor: PingMonitorSettings) throws(ConfigError) -> InterfaceConfig {
        var interface = try ConfigFields(entry.value, path: path, pattern: "interfaces.*", line: entry.line)
        var protocolChoice = InterfaceProtocol.ipv4
        if let n = interface.take("protocol") { protocolChoice = try n.choice(at: interface.path("protocol"), empty: .ipv4) }
        var backend = WireGuardBackendChoice.auto
        if let n = interface.take("backend") { backend = try n.choice(at: interface.path("backend"), empty: .auto) }
        var peers: [PeerConfig] = []
        var failed = false
        if let n = interface.take("peers") {
            let peerFields = try ConfigFields(n, path: interface.path("peers"), pattern: "interfaces.*.peers",
                                              line: interface.line(of: "peers"))
            for peerEntry in peerFields.entries {
                let peerPath = peerFields.path(peerEntry.key)
                let decoded = attempt { d throws(ConfigError) in
                    try d.decodePeer(peerEntry, path: peerPath, plugins: plugins, pingMonitor: pingMonitor)
                }
                guard let decoded else {
                    failed = true
                    continue
                }
                guard let peer = decoded else { continue }
                if let twin = peers.first(where: { $0.publicKeyBase64 == peer.publicKeyBase64 }) {
                    errors.append(ConfigError(keyPath: "\(peerPath).public_key", message: "is the same key as peer \(twin.name)",
                                              line: peerEntry.line))
                    continue
                }
                peers.append(peer)
            }
        }
        if peers.isEmpty && !failed { warn(interface.path("peers"), "no peers, the interface is ignored", line: entry.line) }
        finish(interface)
        return InterfaceConfig(name: entry.key, protocol: protocolChoice, peers: peers, backend: backend)
    }

    /// One peer: `public_key`, `plugin` (+ `extra_plugins`) or `plugins`, `protocol`, `ping`, `keepalive`, and
    /// `description` (read by stunmesh-go for its logs; accepted and unused). Nil for a peer
    /// stunmesh-go skips with a warning, which is skipped here the same way: a key that is not a
    /// WireGuard key, a store not defined under `plugins`.
    mutating func decodePeer(_ entry: YAMLNode.Entry, path: String, plugins: Set<String>,
                             pingMonitor: PingMonitorSettings) throws(ConfigError) -> PeerConfig? {
        var fields = try ConfigFields(entry.value, path: path, pattern: "interfaces.*.peers.*", line: entry.line)
        guard let keyNode = fields.take("public_key") else { throw fields.missing("public_key") }
        let key = try keyNode.string(at: fields.path("public_key"))
        let stores = try decodePeerPlugins(&fields)
        var peer = PeerConfig(name: entry.key, publicKeyBase64: key, plugins: stores.map(\.name))
        if let n = fields.take("protocol") { peer.protocol = try n.choice(at: fields.path("protocol"), empty: .ipv4) }
        if let n = fields.take("ping") {
            peer.ping = try decodePing(n, path: fields.path("ping"), line: fields.line(of: "ping"), pingMonitor: pingMonitor)
        }
        if let n = fields.take("keepalive") {
            peer.keepalive = try n.goInteger(at: fields.path("keepalive"), in: 0...65535)
            peer.keepaliveIsExplicit = true
        }
        _ = fields.take("description")
        finish(fields)
        guard Self.isWireGuardKey(key) else {
            skipped.append(ConfigError(keyPath: fields.path("public_key"), message: "must be a base64 WireGuard key (32 bytes)",
                                       line: keyNode.line, file: file))
            return nil
        }
        if let missing = stores.first(where: { !plugins.contains($0.name) }) {
            skipped.append(ConfigError(keyPath: missing.path, message: "no plugin named \"\(missing.name)\" under plugins",
                                       line: missing.line, file: file))
            return nil
        }
        return peer
    }

    /// The peer's stores, in order: `plugin: <name>` (stunmesh-go's one store) and after it
    /// `extra_plugins: [<name>, …]` (stunmeshd's; stunmesh-go reads `plugin` and ignores the
    /// rest, so one file works on both), or `plugins: [<name>, …]` (an older stunmeshd spelling,
    /// with a warning: stunmesh-go finds no store for such a peer). No name twice.
    mutating func decodePeerPlugins(_ fields: inout ConfigFields) throws(ConfigError)
        -> [(name: String, path: String, line: Int?)] {
        let single = fields.take("plugin"), extra = fields.take("extra_plugins"), several = fields.take("plugins")
        var names: [(name: String, path: String, line: Int?)] = []
        func list(_ node: YAMLNode, _ key: String) throws(ConfigError) -> [(name: String, path: String, line: Int?)] {
            try node.stringList(at: fields.path(key)).enumerated().map { ($1, "\(fields.path(key))[\($0)]", node.line) }
        }
        switch (single, several) {
        case (nil, nil):
            throw fields.missing("plugin", "is required (a name under plugins)")
        case (_?, let node?):
            throw ConfigError(keyPath: fields.path("plugins"), message: "give plugin (and extra_plugins), not plugins too",
                              line: node.line)
        case (let node?, nil):
            names = [(try node.nonEmptyString(at: fields.path("plugin")), fields.path("plugin"), node.line)]
            if let extra { names += try list(extra, "extra_plugins") }
        case (nil, let node?):
            if let extra {
                throw ConfigError(keyPath: fields.path("extra_plugins"), message: "goes with plugin, not plugins", line: extra.line)
            }
            names = try list(node, "plugins")
            guard !names.isEmpty else {
                throw ConfigError(keyPath: fields.path("plugins"), message: "must name at least one plugin", line: node.line)
            }
            warn(fields.path("plugins"), "stunmesh-go cannot read this key (it finds no store for the peer); write "
                 + "plugin: \(names[0].name)" + (names.count > 1 ? " and extra_plugins: [\(names.dropFirst().map(\.name).joined(separator: ", "))]" : ""),
                 line: node.line)
        }
        var seen: [String] = []
        for item in names {
            guard !item.name.isEmpty else { throw ConfigError(keyPath: item.path, message: "must not be empty", line: item.line) }
            guard !seen.contains(item.name) else {
                throw ConfigError(keyPath: item.path, message: "names plugin \"\(item.name)\" twice", line: item.line)
            }
            seen.append(item.name)
        }
        return names
    }

    /// `ping: { enabled, target, interval, timeout }`; nil unless enabled and with a target, as
    /// in stunmesh-go (which pings nothing without a target). The target is an IP literal, or a
    /// name resolved now (at start and reload, as stunmesh-go does when it adds the peer); a name
    /// that does not resolve leaves the peer without pings, with a warning. Interval and timeout
    /// fall back to `ping_monitor`.
    mutating func decodePing(_ node: YAMLNode, path: String, line: Int?,
                             pingMonitor: PingMonitorSettings) throws(ConfigError) -> PingSettings? {
        var fields = try ConfigFields(node, path: path, pattern: "interfaces.*.peers.*.ping", line: line)
        let enabled = try fields.take("enabled")?.goBool(at: fields.path("enabled")) ?? false
        var target: IPAddress?
        let targetNode = fields.take("target")
        let targetText = try targetNode?.string(at: fields.path("target")) ?? ""
        let intervalNode = fields.take("interval")
        let interval = try intervalNode.map { n throws(ConfigError) in
            try Self.probeDuration(n, at: fields.path("interval"), in: PingMonitorSettings.intervalRange)
        } ?? pingMonitor.interval
        let timeout = try fields.take("timeout").map { n throws(ConfigError) in
            try Self.probeDuration(n, at: fields.path("timeout"), in: PingMonitorSettings.timeoutRange)
        } ?? pingMonitor.timeout
        finish(fields)
        guard enabled else { return nil }
        if let address = IPAddress(targetText) {
            target = address
        } else if targetText.isEmpty {
            warn(fields.path("target"), "is empty: ping is enabled but the peer is not pinged (as in stunmesh-go)", line: line)
            return nil
        } else if !Self.isHostName(targetText) {
            throw ConfigError(keyPath: fields.path("target"), message: "must be an IP address or a host name, not \"\(targetText)\"",
                              line: targetNode?.line)
        } else if let resolve {
            target = resolve(targetText)
            if target == nil {
                warn(fields.path("target"), "\"\(targetText)\" does not resolve; the peer is not pinged (as in stunmesh-go)",
                     line: targetNode?.line)
                return nil
            }
        } else {
            warn(fields.path("target"), "\"\(targetText)\" is a name, resolved when the daemon starts (not here)",
                 line: targetNode?.line)
            return nil
        }
        guard let target else { return nil }
        return PingSettings(target: target, interval: interval, timeout: timeout,
                            periodic: intervalNode != nil || pingMonitor.intervalIsExplicit)
    }

    /// Whether `text` can be a DNS name: labels of letters, digits, `-` and `_`, 1–63 bytes each,
    /// 253 in all, an optional final dot.
    static func isHostName(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-")
                && label.utf8.allSatisfy { $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")) }
        }
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
