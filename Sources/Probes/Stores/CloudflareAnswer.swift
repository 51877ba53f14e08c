import JSON

/// What one answer of Cloudflare's API says, read without any state of the store's: the
/// envelope (`{"success":true,…}`, the rate limit's 429 and its Retry-After) and the two lookups'
/// results. Everything here is outside input (a broken or hostile API, a proxy, a captive portal),
/// so every field is checked and nothing traps (fuzzed: fuzz/Sources/FuzzCloudflare).
enum CloudflareAnswer: Equatable {
    /// HTTP 429: every call waits `retryAfter` seconds (nil: the header is absent or unusable).
    case rateLimited(retryAfter: Double?)
    /// Not a success: why, in words (Cloudflare's own error messages when it gave some).
    case refused(String)
    /// A success: the whole JSON object.
    case ok(JSONValue)

    /// Reads an answer. A Retry-After that is huge, negative or not a number must neither trap nor
    /// lock the store out for ever: at most `longestRetryAfter` seconds are believed.
    static func read(_ response: HTTPResponse, longestRetryAfter: Double) -> CloudflareAnswer {
        if response.status == 429 {
            let seconds = response.header("Retry-After").flatMap { Double($0) }
                .flatMap { $0.isFinite && $0 >= 0 ? min($0, longestRetryAfter) : nil }
            return .rateLimited(retryAfter: seconds)
        }
        guard let json = try? JSONValue(parsing: response.text), case .object = json else {
            return .refused("HTTP \(response.status) with a body that is not a JSON object: \"\(StoreText.excerpt(response.body, limit: 120))\"")
        }
        guard json["success"]?.boolValue == true, (200..<300).contains(response.status) else {
            let messages = (json["errors"]?.arrayValue ?? []).compactMap { entry -> String? in
                guard let message = entry["message"]?.stringValue else { return nil }
                return entry["code"]?.intValue.map { "\(message) (code \($0))" } ?? message
            }
            let detail = messages.isEmpty ? "no error message" : messages.joined(separator: "; ")
            return .refused("HTTP \(response.status), Cloudflare says: \(StoreText.excerpt(Array(detail.utf8)))")
        }
        return .ok(json)
    }

    /// What a lookup's `result` array holds first.
    enum Lookup<T: Equatable>: Equatable {
        case found(T)
        /// An empty result: no such zone or record.
        case none
        /// The answer is not shaped as the API documents it: what is wrong.
        case malformed(String)
    }

    /// GET /zones?name=…: the first zone's id.
    static func zoneID(in json: JSONValue) -> Lookup<String> {
        guard let results = json["result"]?.arrayValue else { return .malformed("no result array") }
        guard let first = results.first else { return .none }
        guard let id = first["id"]?.stringValue, isIdentifier(id) else { return .malformed("result[0].id is not an identifier") }
        return .found(id)
    }

    /// A TXT record as the store keeps it: its id and its content cleaned.
    struct Record: Equatable {
        var id: String
        var content: String
    }

    /// GET /zones/{zid}/dns_records?type=TXT&name=…: the first record, its content with the quotes
    /// and whitespace removed that DNS tools add when they quote or split TXT strings.
    static func firstRecord(in json: JSONValue) -> Lookup<Record> {
        guard let results = json["result"]?.arrayValue else { return .malformed("no result array") }
        guard let first = results.first else { return .none }
        guard let id = first["id"]?.stringValue, isIdentifier(id) else { return .malformed("result[0].id is not an identifier") }
        guard let content = first["content"]?.stringValue else { return .malformed("result[0].content is not a string") }
        return .found(Record(id: id, content: cleanedContent(content)))
    }

    /// POST /zones/{zid}/dns_records: the new record's id, nil when the answer has none usable.
    static func createdID(in json: JSONValue) -> String? {
        json["result"]?["id"]?.stringValue.flatMap { isIdentifier($0) ? $0 : nil }
    }

    /// TXT content without the quotes and whitespace that quoted or split strings bring.
    static func cleanedContent(_ content: String) -> String {
        String(String.UnicodeScalarView(content.unicodeScalars.filter {
            $0 != "\"" && $0 != " " && !(0x09...0x0d).contains($0.value)
        }))
    }

    /// Whether `text` is safe as a path segment: Cloudflare ids are hex, allow letters, digits, - and _.
    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || $0 == 0x2d || $0 == 0x5f
        }
    }
}
