/// A YAML mapping being decoded into config: hands out values by key, remembers which keys
/// were read so the rest can be reported as ignored, and knows the key path for errors.
struct ConfigFields {
    /// Dotted path of the mapping itself ("" for the top level).
    let path: String
    /// Line of the key holding the mapping (for "is required" errors); nil at the top level.
    let line: Int?
    /// The pairs, in file order, without duplicates.
    let entries: [YAMLNode.Entry]
    private var used: Set<String> = []

    /// The mapping in `node`; a null node counts as an empty mapping. Anything else, or a
    /// mapping with a key given twice, is an error.
    init(_ node: YAMLNode, path: String, line: Int?) throws(ConfigError) {
        self.path = path
        self.line = line
        if node.isNull {
            entries = []
            return
        }
        guard case .mapping(let pairs) = node.content else {
            throw ConfigError(keyPath: path, message: "must be a mapping of keys, not \(node.kindName)", line: node.line)
        }
        var seen: Set<String> = []
        for pair in pairs where !seen.insert(pair.key).inserted {
            throw ConfigError(keyPath: Self.join(path, pair.key), message: "is given twice", line: pair.line)
        }
        entries = pairs
    }

    /// The value of `key`, nil when it is absent or null. Marks the key as read.
    mutating func take(_ key: String) -> YAMLNode? {
        used.insert(key)
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry.value
    }

    /// The line of `key`, or of the mapping when the key is absent.
    func line(of key: String) -> Int? {
        entries.first(where: { $0.key == key })?.line ?? line
    }

    /// The path of `key` inside this mapping.
    func path(_ key: String) -> String { Self.join(path, key) }

    /// An error saying that `key` is missing.
    func missing(_ key: String, _ message: String = "is required") -> ConfigError {
        ConfigError(keyPath: path(key), message: message, line: line)
    }

    /// Warnings for the keys nobody read.
    func unusedKeyWarnings(file: String?) -> [String] {
        entries.filter { !used.contains($0.key) }.map {
            ConfigError(keyPath: path($0.key), message: "unknown key, ignored", line: $0.line, file: file).description
        }
    }

    /// `parent.key`, or `key` at the top level.
    static func join(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }
}

extension YAMLNode {
    /// "a mapping", "a list" or "a scalar", for type errors.
    var kindName: String {
        switch content {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// The scalar's text. Errors never quote the value: this is how tokens are read.
    func string(at path: String) throws(ConfigError) -> String {
        guard case .scalar(let text, _) = content else {
            throw ConfigError(keyPath: path, message: "must be a string, not \(kindName)", line: line)
        }
        return text
    }

    /// A non-empty string.
    func nonEmptyString(at path: String) throws(ConfigError) -> String {
        let text = try string(at: path)
        guard !text.isEmpty else { throw ConfigError(keyPath: path, message: "must not be empty", line: line) }
        return text
    }

    /// One of `T`'s raw values; an empty string means `empty` (stunmesh-go treats "" as unset).
    func choice<T: RawRepresentable & CaseIterable>(at path: String, empty: T) throws(ConfigError) -> T
    where T.RawValue == String {
        let text = try string(at: path)
        if text.isEmpty { return empty }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(keyPath: path, message: "must be one of \(allowed), not \"\(text)\"", line: line)
        }
        return value
    }

    /// A YAML boolean: true/True/TRUE/false/False/FALSE, quoted or not.
    func bool(at path: String) throws(ConfigError) -> Bool {
        switch try string(at: path) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        case let text: throw ConfigError(keyPath: path, message: "must be true or false, not \"\(text)\"", line: line)
        }
    }

    /// A decimal integer within `range`.
    func integer(at path: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string(at: path)
        guard let value = Int(text) else {
            throw ConfigError(keyPath: path, message: "must be a whole number, not \"\(text)\"", line: line)
        }
        guard range.contains(value) else {
            throw ConfigError(keyPath: path, message: "must be between \(range.lowerBound) and \(range.upperBound)",
                              line: line)
        }
        return value
    }

    /// A Go duration string greater than zero, in seconds.
    func duration(at path: String) throws(ConfigError) -> Double {
        let text = try string(at: path)
        let seconds: Double
        do {
            seconds = try GoDuration.parse(text).seconds
        } catch {
            throw ConfigError(keyPath: path, message: "must be a duration such as 90s, 10m or 1h30m (\(error))",
                              line: line)
        }
        guard seconds > 0 else { throw ConfigError(keyPath: path, message: "must be longer than zero", line: line) }
        return seconds
    }

    /// A list of strings; a null item is an empty string.
    func stringList(at path: String) throws(ConfigError) -> [String] {
        guard case .sequence(let items) = content else {
            throw ConfigError(keyPath: path, message: "must be a list, not \(kindName)", line: line)
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            strings.append(item.isNull ? "" : try item.string(at: "\(path)[\(index)]"))
        }
        return strings
    }
}
