/// A JSON document as a Swift value: what records, plugin replies and store APIs are made of.
/// Objects keep their members in order (an array of pairs), so that what we write is byte for
/// byte what stunmesh-go writes (`{"ipv4":…,"ipv6":…}`), and what we read shows the sender's order.
public enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number. Integers up to 2^53 are exact; integral values are written without a fraction.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in order. Duplicate keys are allowed here; the last one wins on encoding.
    case object([(String, JSONValue)])

    /// Structural equality; objects compare member by member, in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

extension JSONValue {
    /// The member named `key` of an object (the last one if the key repeats); nil for a missing
    /// key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// The element at `index` of an array; nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }

    /// The number, if this is a number.
    public var numberValue: Double? { if case .number(let n) = self { n } else { nil } }

    /// The number as an integer, if this is a number with no fractional part that fits an `Int`.
    public var intValue: Int? {
        guard case .number(let n) = self, n.rounded(.towardZero) == n,
              n >= -9_223_372_036_854_775_808.0, n < 9_223_372_036_854_775_808.0 else { return nil }
        return Int(n)
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }

    /// The members in order, if this is an object.
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { o } else { nil } }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }
}
