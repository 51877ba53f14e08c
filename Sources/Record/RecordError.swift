import JSON

/// Why a stored record could not be read or sealed, so that the supervisor can log a precise
/// reason (a forged record and a plugin returning garbage call for different actions).
public enum RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stored value is not an even number of hex digits.
    case notHex
    /// The stored value decodes to fewer bytes than a sealed record can have.
    case tooShort(byteCount: Int)
    /// The box did not open: the record was forged, corrupted, or sealed with other keys.
    case unauthenticated
    /// libsodium refused the key pair (an all-zero or low-order public key).
    case weakKey
    /// The plaintext is not valid JSON.
    case badJSON(JSONError)
    /// The plaintext is JSON but not an object.
    case notAnObject
    /// A field has the wrong JSON type.
    case wrongType(field: String)
    /// A field is not an "ip:port" / "[ip]:port" endpoint.
    case badEndpoint(field: String, text: String)
    /// A field holds an address of the other family (an IPv6 address in "ipv4", or the reverse).
    case wrongFamily(field: String, text: String)
    /// The record has neither an IPv4 nor an IPv6 endpoint.
    case noEndpoint
    /// The `ts` field is not a whole number of seconds from 0 to 2^53.
    case badTimestamp

    /// A sentence for logs.
    public var description: String {
        switch self {
        case .notHex: return "record is not hex"
        case .tooShort(let n): return "record is too short (\(n) bytes, a sealed record has at least 40)"
        case .unauthenticated: return "record does not authenticate: forged, corrupted, or sealed with other keys"
        case .weakKey: return "libsodium refused the key pair (all-zero or low-order public key)"
        case .badJSON(let e): return "record plaintext is not JSON: \(e)"
        case .notAnObject: return "record plaintext is not a JSON object"
        case .wrongType(let field): return "record field \"\(field)\" is not a string"
        case let .badEndpoint(field, text): return "record field \"\(field)\" is not an endpoint: \"\(text)\""
        case let .wrongFamily(field, text): return "record field \"\(field)\" holds an address of the other family: \"\(text)\""
        case .noEndpoint: return "record has neither an ipv4 nor an ipv6 endpoint"
        case .badTimestamp: return "record field \"ts\" is not a whole number of seconds"
        }
    }
}
