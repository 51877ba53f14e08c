import FuzzDriver
import JSON

// Any JSON the daemon reads (store answers, plugin replies, the status file): jansson and the
// tree; what parses must encode to text that parses to the same tree.
fuzz { bytes in
    guard let source = text(bytes), let value = try? JSONValue(parsing: source) else { return 0 }
    let encoded = value.encoded()
    guard let again = try? JSONValue(parsing: encoded) else { fatalError("encoded JSON does not parse: \(encoded)") }
    guard again.encoded() == encoded else { fatalError("encode → parse → encode is not stable: \(encoded)") }
    return encoded.utf8.count
}
