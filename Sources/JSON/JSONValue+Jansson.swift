import CJansson
import Glibc

// Conversion between JSONValue and Jansson's json_t: parsing with json_loadb, writing with
// json_dumps. Jansson does the JSON grammar, escaping and number formatting; this file only
// walks the trees.

extension JSONValue {
    /// Parses `text` with Jansson (json_loadb). Any JSON value is accepted at the top level, and
    /// `\u0000` inside strings is allowed. With `allowTrailing`, parsing stops after the first
    /// value and ignores what follows, like Go's json.Decoder reading a plugin's stdout.
    public init(parsing text: String, allowTrailing: Bool = false) throws(JSONError) {
        var flags = Int(JSON_DECODE_ANY | JSON_ALLOW_NUL)
        if allowTrailing { flags |= Int(JSON_DISABLE_EOF_CHECK) }
        var error = json_error_t()
        var utf8 = Array(text.utf8)
        if utf8.isEmpty { utf8 = [0] }  // a valid pointer; length 0 still reads nothing
        let length = text.utf8.count
        let root = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, length, flags, &error) }
        }
        guard let root else { throw JSONError(error) }
        defer { json_decref(root) }
        self = JSONValue(jansson: root)
    }

    /// Compact JSON text (json_dumps with JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY):
    /// no spaces, members in order, integral numbers without a fraction. For the records and
    /// requests we write (ASCII strings without `<`, `>`, `&`) this is byte for byte what Go's
    /// encoding/json writes. Non-finite numbers, which JSON cannot express, are written as null.
    public func encoded() -> String {
        let tree = makeJansson()
        defer { json_decref(tree) }
        guard let text = json_dumps(tree, Int(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) else {
            return "null"  // only on allocation failure
        }
        defer { free(text) }
        return String(cString: text)
    }

    /// Reads a Jansson tree (borrowed, not consumed).
    init(jansson value: UnsafeMutablePointer<json_t>) {
        switch cjansson_typeof(value) {
        case JSON_OBJECT:
            var members: [(String, JSONValue)] = []
            var iterator = json_object_iter(value)
            while let it = iterator {
                let key = String(jansson: json_object_iter_key(it), length: json_object_iter_key_len(it))
                if let member = json_object_iter_value(it) { members.append((key, JSONValue(jansson: member))) }
                iterator = json_object_iter_next(value, it)
            }
            self = .object(members)
        case JSON_ARRAY:
            self = .array((0..<json_array_size(value)).compactMap { json_array_get(value, $0).map(JSONValue.init(jansson:)) })
        case JSON_STRING:
            self = .string(String(jansson: json_string_value(value), length: json_string_length(value)))
        case JSON_INTEGER:
            self = .number(Double(json_integer_value(value)))
        case JSON_REAL:
            self = .number(json_real_value(value))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// Builds a new Jansson tree; the caller owns the reference.
    func makeJansson() -> UnsafeMutablePointer<json_t> {
        let made: UnsafeMutablePointer<json_t>?
        switch self {
        case .null:
            made = json_null()
        case .bool(let b):
            made = b ? json_true() : json_false()
        case .number(let n):
            if n.rounded(.towardZero) == n, abs(n) <= 9_007_199_254_740_992 {
                made = json_integer(json_int_t(n))
            } else {
                made = json_real(n) ?? json_null()  // json_real refuses NaN and infinities
            }
        case .string(let s):
            made = s.withJanssonBytes { json_stringn($0, $1) }
        case .array(let elements):
            let array = json_array()
            for element in elements { json_array_append_new(array, element.makeJansson()) }
            made = array
        case .object(let members):
            let object = json_object()
            for (key, member) in members {
                _ = key.withJanssonBytes { json_object_setn_new(object, $0, $1, member.makeJansson()) }
            }
            made = object
        }
        guard let made else { fatalError("Jansson could not allocate a JSON value") }
        return made
    }
}

extension JSONError {
    /// Copies Jansson's json_error_t.
    init(_ error: json_error_t) {
        let text = withUnsafeBytes(of: error.text) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        self.init(line: max(0, Int(error.line)), column: max(0, Int(error.column)), text: text)
    }
}

extension String {
    /// A string from Jansson bytes that may contain NUL (strings parsed with JSON_ALLOW_NUL).
    init(jansson bytes: UnsafePointer<CChar>?, length: Int) {
        guard let bytes else { self = ""; return }
        self = bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Calls `body` with this string's UTF-8 bytes (embedded NULs kept) and their count.
    func withJanssonBytes<R>(_ body: (UnsafePointer<CChar>, Int) -> R) -> R {
        var utf8 = Array(utf8)
        let count = utf8.count
        utf8.append(0)
        return utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!, count) }
        }
    }
}
