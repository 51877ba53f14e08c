/// A YAML mapping being decoded into config: hands out values by key, remembers which keys
/// were read so the rest can be judged against the key table (`ConfigKeys`), and knows the key
/// path for errors.
struct ConfigFields {
    /// Dotted path of the mapping itself ("" for the top level).
    let path: String
    /// The mapping's pattern in `ConfigKeys` (names replaced by `*`), e.g. `interfaces.*.peers.*`.
    let pattern: String
    /// The store kind, for a store's mapping (its keys depend on it); nil elsewhere.
    var kind: String?
    /// Whether a key written in another case is read (stunmesh-go's decoder matches struct keys in
    /// any case; a store's own keys it reads exactly).
    var foldsCase = true
    /// Line of the key holding the mapping (for "is required" errors); nil at the top level.
    let line: Int?
    /// The pairs, in file order, without duplicates.
    let entries: [YAMLNode.Entry]
    private var used: Set<String> = []
    /// Keys read in another case than the table's, for a warning each.
    private var folded: [(written: String, key: String, line: Int)] = []

    /// The mapping in `node`; a null node counts as an empty mapping. Anything else, or a
    /// mapping with a key given twice, is an error.
    init(_ node: YAMLNode, path: String, pattern: String, line: Int?) throws(ConfigError) {
        self.path = path
        self.pattern = pattern
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

    /// The value of `key`, nil when it is absent or null. Marks the key as read. Where the case
    /// folds, `Key:` is read as `key` (with a warning) when `key:` itself is absent.
    mutating func take(_ key: String) -> YAMLNode? {
        used.insert(key)
        var entry = entries.first(where: { $0.key == key })
        if entry == nil, foldsCase, let other = entries.first(where: { $0.key.lowercased() == key && !used.contains($0.key) }) {
            used.insert(other.key)
            folded.append((other.key, key, other.line))
            entry = other
        }
        guard let entry, !entry.value.isNull else { return nil }
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

    /// What to say about the keys nobody read, judged by the key table: a near-miss of a key of
    /// this place (that no stunmesh-go version reads) is an error; keys of stunmesh-go that
    /// stunmeshd does not use, keys of another store kind, unknown keys and keys read in another
    /// case are warnings.
    func leftovers(file: String?) -> (warnings: [String], errors: [ConfigError]) {
        var warnings: [String] = []
        var errors: [ConfigError] = []
        for item in folded {
            warnings.append(ConfigError(keyPath: path(item.written), message: "read as \(item.key) (stunmesh-go matches "
                + "these keys in any case); write \(item.key)", line: item.line, file: file).description)
        }
        for entry in entries where !used.contains(entry.key) {
            let keyPath = path(entry.key)
            switch ConfigKeys.judge(entry.key, in: pattern, kind: kind) {
            case .known:
                break
            case .goOnly:
                warnings.append(ConfigError(keyPath: keyPath, message: "a stunmesh-go setting stunmeshd does not use, ignored",
                                            line: entry.line, file: file).description)
            case .otherKind(let kinds):
                warnings.append(ConfigError(keyPath: keyPath, message: "belongs to \(kinds.joined(separator: ", ")) stores, "
                    + "not \(kind ?? "this one"); ignored", line: entry.line, file: file).description)
            case .nearMiss(let suggestion):
                errors.append(ConfigError(keyPath: keyPath, message: "unknown key; did you mean \(suggestion)?",
                                          line: entry.line, file: file))
            case .unknown:
                warnings.append(ConfigError(keyPath: keyPath, message: "unknown key, ignored", line: entry.line,
                                            file: file).description)
            }
        }
        return (warnings, errors)
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

    /// What YAML 1.2's core schema (stunmesh-go's yaml.v3) reads as a boolean in a plain scalar.
    static func yamlBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A boolean as stunmesh-go's weakly typed decoder reads it: a YAML boolean; a number (true
    /// unless zero); a string Go's `strconv.ParseBool` takes (1, t, T, true, TRUE, True, and the
    /// false ones), the empty string being false. Anything else (`yes`, `on`) stunmesh-go refuses,
    /// and so does this.
    func goBool(at path: String) throws(ConfigError) -> Bool {
        let text = try string(at: path)
        guard case .scalar(_, let quoted) = content else { return false }
        if !quoted {
            if let value = Self.yamlBool(text) { return value }
            if let number = Self.goInteger(text) { return number != 0 }
            if let number = Double(text), number.isFinite { return number != 0 }
        }
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "", "0", "f", "F", "false", "FALSE", "False": return false
        default: throw ConfigError(keyPath: path, message: "must be true or false, not \"\(text)\"", line: line)
        }
    }

    /// A whole number within `range`, as stunmesh-go reads one: decimal, or with a 0x, 0o or 0b
    /// prefix, underscores between digits allowed, quoted or not; a plain true or false is 1 or 0.
    /// A leading zero (`017`) is refused: YAML 1.1 readers take it as octal, others as decimal.
    func goInteger(at path: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string(at: path)
        var value = Self.goInteger(text)
        if value == nil, case .scalar(_, quoted: false) = content, let flag = Self.yamlBool(text) { value = flag ? 1 : 0 }
        guard let value else {
            throw ConfigError(keyPath: path, message: "must be a whole number, not \"\(text)\"", line: line)
        }
        guard range.contains(value) else {
            throw ConfigError(keyPath: path, message: "must be between \(range.lowerBound) and \(range.upperBound)",
                              line: line)
        }
        return value
    }

    /// `text` as an integer literal (see `goInteger(at:in:)`), nil when it is none.
    static func goInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { radix = 16 } else if lower.hasPrefix("0o") { radix = 8 } else if lower.hasPrefix("0b") { radix = 2 }
        if radix != 10 { body = body.dropFirst(2) }
        guard let first = body.first, first != "_", body.last != "_", !zip(body, body.dropFirst()).contains(where: { $0 == "_" && $1 == "_" }) else { return nil }
        if radix == 10, body.count > 1, first == "0" { return nil }
        guard let magnitude = Int(body.filter { $0 != "_" }, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
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
