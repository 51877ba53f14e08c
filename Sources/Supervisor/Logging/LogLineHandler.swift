import Glibc
import Logging

/// The daemon's swift-log handler: one line per message to standard error, either logfmt
/// (`ts=… level=info msg="discovered" peer=peer_b mapped=203.0.113.10:35436`, the default) or
/// one JSON object per line (`log.format: json`). No Foundation: time comes from clock_gettime.
public struct LogLineHandler: LogHandler {
    /// The two line formats of config `log.format`.
    public enum Format: String, Sendable {
        /// key=value pairs (logfmt); stunmesh-go calls this "console".
        case logfmt
        /// One JSON object per line.
        case json
    }

    /// Where lines go; standard error unless a test captures them.
    public let sink: @Sendable (String) -> Void
    /// The line format.
    public let format: Format
    /// Messages below this level are dropped.
    public var logLevel: Logger.Level
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// True when config said `log.level: disabled`.
    public let disabled: Bool

    /// A handler writing `format` lines at or above `level`.
    public init(format: Format, level: Logger.Level, disabled: Bool = false,
                sink: @escaping @Sendable (String) -> Void = LogLineHandler.standardError) {
        self.format = format
        self.logLevel = level
        self.disabled = disabled
        self.sink = sink
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one message.
    public func log(event: LogEvent) {
        guard !disabled else { return }
        var fields: [(String, String)] = [("ts", Self.timestamp()), ("level", Self.name(event.level)),
                                          ("msg", event.message.description)]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { fields.append((key, merged[key]!.description)) }
        sink(format == .json ? Self.jsonLine(fields) : Self.logfmtLine(fields))
    }

    /// stunmesh-go's level names (`warn`, not `warning`).
    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "info"
        case .warning: "warn"
        case .error: "error"
        case .critical: "fatal"
        }
    }

    static func logfmtLine(_ fields: [(String, String)]) -> String {
        fields.map { key, value in "\(key)=\(logfmtValue(value))" }.joined(separator: " ")
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\n" || $0 == "\\" }
        guard needsQuotes else { return value }
        return "\"" + escaped(value) + "\""
    }

    static func jsonLine(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\(escaped($0.0))\":\"\(escaped($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Escapes quotes, backslashes and control characters the way both logfmt and JSON read them.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// RFC 3339 UTC time with milliseconds.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = now.tv_nsec / 1_000_000
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(ms)Z"
    }

    /// Writes a line to standard error with one write(2), so lines from one process never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
