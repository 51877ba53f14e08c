/// One HTTP request for `HTTPClient`: what the stores send to Cloudflare's API and to OpenDHT
/// proxies. Plain data, so that a store can build it anywhere and the client owns the transfer.
public struct HTTPRequest: Sendable {
    /// "GET", "POST", "PATCH", …
    public var method: String
    /// An http:// or https:// URL (other schemes are refused by the client).
    public var url: String
    /// Extra header lines, each "Name: value" (no CR or LF).
    public var headers: [String]
    /// The request body; nil sends none.
    public var body: [UInt8]?
    /// Seconds the whole transfer may take, connection included.
    public var timeout: Double
    /// A PEM file of CA certificates to verify the server with instead of the system's.
    /// Verification itself is always on.
    public var caFile: String?
    /// The largest response body accepted; a longer one fails the request.
    public var maximumResponseSize: Int

    /// A request; `timeout` defaults to 15 s and responses to at most 1 MiB.
    public init(method: String, url: String, headers: [String] = [], body: [UInt8]? = nil,
                timeout: Double = 15, caFile: String? = nil, maximumResponseSize: Int = 1 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.caFile = caFile
        self.maximumResponseSize = maximumResponseSize
    }
}

/// What a server answered: any status (4xx and 5xx too; interpreting them is the caller's job).
public struct HTTPResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The body, at most the request's `maximumResponseSize` bytes.
    public var body: [UInt8]
    /// The header lines of the final response, "Name: value", without the status line.
    public var headers: [String]

    /// A response (tests build them too).
    public init(status: Int, body: [UInt8], headers: [String] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The value of the first header called `name` (any case), trimmed; nil if absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        for line in headers {
            guard let colon = line.firstIndex(of: ":"),
                  line[..<colon].lowercased() == wanted else { continue }
            return StoreText.trimmed(String(line[line.index(after: colon)...]))
        }
        return nil
    }

    /// The body as text (invalid UTF-8 repaired), for JSON parsing.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request got no response: a libcurl error (timeout, refused connection, TLS failure,
/// …) or a request the client refused to send. Carries curl's code so callers can tell a
/// timeout from the rest.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// libcurl's CURLcode (28 is a timeout, 7 a refused connection); 0 when not from libcurl.
    public var code: Int
    /// What went wrong, in libcurl's words or ours.
    public var message: String

    /// An error with a curl code.
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// "message (curl error N)".
    public var description: String { code == 0 ? message : "\(message) (curl error \(code))" }
}

/// Names one request sent with `HTTPClient.send`, to cancel it.
public struct HTTPRequestToken: Hashable, Sendable {
    let id: UInt64
}
