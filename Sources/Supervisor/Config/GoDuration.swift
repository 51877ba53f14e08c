/// A span of time written as a Go duration string ("90s", "10m", "1h30m", "1.5s", "500ms").
/// stunmesh-go's config uses Go's `time.ParseDuration`, so the same text must mean the same
/// span here, and text Go refuses must be refused here too.
public struct GoDuration: Hashable, Sendable {
    /// The span in nanoseconds, Go's `time.Duration` unit. Negative spans parse, as in Go.
    public var nanoseconds: Int64

    /// A span of `nanoseconds`.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The span in seconds, the unit the rest of the daemon uses.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// Nanoseconds per unit name; both spellings of micro (U+00B5, U+03BC) as Go accepts them.
    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// Parses `[-+]` then one or more `<decimal number><unit>` parts ("1h30m", ".5s", "2.s"),
    /// or a lone "0". Errors read like Go's: `time: missing unit in duration "5"`.
    public static func parse(_ text: String) throws(GoDurationError) -> GoDuration {
        let invalid = GoDurationError("time: invalid duration \"\(text)\"")
        var rest = Substring(text).utf8[...]
        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        if rest.elementsEqual("0".utf8) { return GoDuration(nanoseconds: 0) }
        if rest.isEmpty { throw invalid }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while !rest.isEmpty {
            guard let first = rest.first, first == UInt8(ascii: ".") || isDigit(first) else { throw invalid }
            // Whole part: digits, overflow is an error.
            var whole: UInt64 = 0
            var sawWhole = false
            while let c = rest.first, isDigit(c) {
                guard whole <= (limit - 1) / 10 else { throw invalid }
                whole = whole * 10 + UInt64(c - UInt8(ascii: "0"))
                guard whole <= limit else { throw invalid }
                sawWhole = true
                rest = rest.dropFirst()
            }
            // Fraction: digits after the point; the ones beyond what fits are ignored.
            var fraction: UInt64 = 0
            var scale = 1.0
            var sawFraction = false
            if rest.first == UInt8(ascii: ".") {
                rest = rest.dropFirst()
                var fits = true
                while let c = rest.first, isDigit(c) {
                    sawFraction = true
                    if fits, fraction <= (UInt64(Int64.max) - 9) / 10 {
                        fraction = fraction * 10 + UInt64(c - UInt8(ascii: "0"))
                        scale *= 10
                    } else {
                        fits = false
                    }
                    rest = rest.dropFirst()
                }
            }
            guard sawWhole || sawFraction else { throw invalid }
            // Unit: everything up to the next number.
            let unitEnd = rest.firstIndex { $0 == UInt8(ascii: ".") || isDigit($0) } ?? rest.endIndex
            let unitName = String(decoding: rest[..<unitEnd], as: UTF8.self)
            rest = rest[unitEnd...]
            if unitName.isEmpty { throw GoDurationError("time: missing unit in duration \"\(text)\"") }
            guard let unit = units[unitName] else {
                throw GoDurationError("time: unknown unit \"\(unitName)\" in duration \"\(text)\"")
            }
            guard whole <= limit / unit else { throw invalid }
            var part = whole * unit
            if fraction > 0 {
                part += UInt64(Double(fraction) * (Double(unit) / scale))
                guard part <= limit else { throw invalid }
            }
            // Checked before adding: two parts of 2^63 each would overflow UInt64 and trap.
            guard part <= limit - total else { throw invalid }
            total += part
        }
        if negative { return GoDuration(nanoseconds: total == limit ? Int64.min : -Int64(total)) }
        guard total < limit else { throw invalid }
        return GoDuration(nanoseconds: Int64(total))
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}

/// Text that is not a Go duration; the message says why, in Go's words.
public struct GoDurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Go's wording, e.g. `time: unknown unit "d" in duration "1d"`.
    public var message: String

    /// An error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
