import Glibc
import SystemCalls

extension Logger {
    /// The two line formats of config `log.format`: logfmt
    /// (`ts=… level=info msg=discovered mapped=203.0.113.10:35436 peer=peer_b`, the default) or one
    /// JSON object per line. Fields: time, level (stunmesh-go's names), message, then the metadata
    /// with the keys sorted. No Foundation: time comes from WallClock.
    public enum LineFormat: Sendable {
        /// key=value pairs (logfmt); stunmesh-go calls this "console".
        case logfmt
        /// One JSON object per line.
        case json

        /// The line for one message, without the newline.
        func line(level: Level, message: String, metadata: Metadata) -> String {
            var fields: [(String, String)] = [("ts", Self.timestamp()), ("level", Self.name(level)), ("msg", message)]
            for key in metadata.keys.sorted() { fields.append((key, metadata[key]!)) }
            return self == .json ? Self.jsonLine(fields) : Self.logfmtLine(fields)
        }

        /// stunmesh-go's level names (`warn`, not `warning`).
        static func name(_ level: Level) -> String {
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

        /// One JSON object. A value that is a JSON number (`rtt_ms=12.5`, `peers=3`) or `true`/`false`
        /// is written as one, so that log processors can compare and sum without parsing strings;
        /// names an operator chooses (a peer called "42") and the fixed fields stay strings.
        static func jsonLine(_ fields: [(String, String)]) -> String {
            "{" + fields.map { key, value in
                let literal = !textKeys.contains(key) && (isJSONNumber(value) || value == "true" || value == "false")
                return "\"\(escaped(key))\":" + (literal ? value : "\"\(escaped(value))\"")
            }.joined(separator: ",") + "}"
        }

        /// Fields that are text whatever they hold: the line's own and the names from the config.
        static let textKeys: Set<String> = ["ts", "level", "msg", "peer", "interface", "store", "plugin", "stores",
                                            "file", "target", "name", "names", "key", "version"]

        /// Whether `text` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
        static func isJSONNumber(_ text: String) -> Bool {
            var bytes = Array(text.utf8)[...]
            func digits() -> Int {
                let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
                bytes = bytes.dropFirst(count)
                return count
            }
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if bytes.first == UInt8(ascii: "0") {
                bytes = bytes.dropFirst()
            } else if digits() == 0 {
                return false
            }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                guard digits() > 0 else { return false }
            }
            if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
                bytes = bytes.dropFirst()
                if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
                guard digits() > 0 else { return false }
            }
            return bytes.isEmpty
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
            let now = WallClock.nowParts()
            var seconds = now.seconds
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var buffer = [CChar](repeating: 0, count: 32)
            let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
            let millis = now.milliseconds
            let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
            return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(ms)Z"
        }
    }
}
