/// One node of a parsed YAML document, with the line it starts on, so that the config decoder
/// can check types itself and point at the offending line. Only what the config needs: scalars
/// keep their text (tags are not resolved here), mappings keep their pairs in file order.
public struct YAMLNode: Equatable, Sendable {
    /// What the node holds.
    public enum Content: Equatable, Sendable {
        /// A scalar's text. `quoted` is true for every style but plain (single, double quoted,
        /// literal, folded): such a scalar is always a string, never null or a boolean.
        case scalar(String, quoted: Bool)
        /// A mapping's pairs in file order; duplicates are kept for the decoder to report.
        case mapping([Entry])
        /// A sequence's items in file order.
        case sequence([YAMLNode])
    }

    /// One key: value pair of a mapping. Keys are scalars (the parser rejects others).
    public struct Entry: Equatable, Sendable {
        /// The key's text.
        public var key: String
        /// The 1-based line the key is on.
        public var line: Int
        /// The value.
        public var value: YAMLNode

        /// A pair, as the parser builds it.
        public init(key: String, line: Int, value: YAMLNode) {
            self.key = key
            self.line = line
            self.value = value
        }
    }

    /// What the node holds.
    public var content: Content
    /// The 1-based line the node starts on.
    public var line: Int

    /// A node, as the parser builds it.
    public init(_ content: Content, line: Int) {
        self.content = content
        self.line = line
    }

    /// Whether this is YAML's null: a plain `~`, `null`, `Null`, `NULL` or nothing at all
    /// (`key:` with no value). The config treats a null value like an absent key.
    public var isNull: Bool {
        guard case .scalar(let text, quoted: false) = content else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }
}

/// A YAML document libyaml could not parse, or one using a feature the config does not accept
/// (aliases, non-scalar keys, nesting deeper than any config needs).
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. libyaml's "did not find expected key (while parsing a block mapping)".
    public var message: String
    /// The 1-based line, when known.
    public var line: Int?

    /// An error at a line.
    public init(_ message: String, line: Int?) {
        self.message = message
        self.line = line
    }

    /// "line 3: message", or the bare message when the line is unknown.
    public var description: String {
        guard let line else { return message }
        return "line \(line): \(message)"
    }
}
