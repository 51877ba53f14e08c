/// Why a text is not valid JSON, with where Jansson stopped reading, so that a bad plugin reply
/// or API answer can be reported precisely in logs.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line of the error (0 when it is not about a position).
    public var line: Int
    /// 1-based column, in characters, of the error (0 when it is not about a position).
    public var column: Int
    /// Jansson's explanation, e.g. "end of file expected near 'x'".
    public var text: String

    /// An error at a position.
    public init(line: Int, column: Int, text: String) {
        self.line = line
        self.column = column
        self.text = text
    }

    /// "invalid JSON at line 1, column 5: …".
    public var description: String {
        line > 0 ? "invalid JSON at line \(line), column \(column): \(text)" : "invalid JSON: \(text)"
    }
}
