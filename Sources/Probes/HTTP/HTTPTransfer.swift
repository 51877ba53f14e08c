import CCurl
import Glibc

/// libcurl hands over response body bytes; the transfer keeps them up to its bound.
private let receiveBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<HTTPTransfer>.fromOpaque(user).takeUnretainedValue()
    return transfer.appendBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

/// libcurl hands over one response header line at a time.
private let receiveHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<HTTPTransfer>.fromOpaque(user).takeUnretainedValue()
    transfer.appendHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

/// One request in flight: a libcurl easy handle configured from an `HTTPRequest`, and the
/// response as it arrives. `HTTPClient` keeps it alive while libcurl works on it, because the
/// handle's callbacks point at it.
final class HTTPTransfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let completion: (Result<HTTPResponse, HTTPError>) -> Void
    /// A streaming request's body goes here chunk by chunk instead of into the response.
    private let onData: (([UInt8]) -> Void)?
    private let limit: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var body: [UInt8] = []
    private var headers: [String] = []
    private var overflowed = false

    /// Configures a handle for `request`; throws for a request that must not be sent.
    /// `resolve`, a CURLOPT_RESOLVE line ("+host:port:addresses"), gives libcurl the host's addresses
    /// (resolved on marked sockets, `MarkedResolver`) so that it does not ask its own resolver.
    init(id: UInt64, request: HTTPRequest, mark: UInt32 = 0, resolve: String? = nil, onData: (([UInt8]) -> Void)? = nil,
         completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void) throws(HTTPError) {
        try Self.validate(request)
        guard let easy = ccurl_easy_init() else { throw HTTPError(code: 0, message: "curl_easy_init failed") }
        self.id = id
        self.easy = easy
        self.completion = completion
        self.onData = onData
        self.limit = max(0, request.maximumResponseSize)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        do throws(HTTPError) {
            try configure(request, mark: mark, resolve: resolve)
        } catch {
            release()
            throw error
        }
    }

    /// Frees the handle; the client removes it from the multi handle first.
    func release() {
        ccurl_easy_cleanup(easy)
        ccurl_slist_free_all(headerList)
        headerList = nil
        ccurl_slist_free_all(resolveList)
        resolveList = nil
        errorBuffer.deallocate()
    }

    /// The outcome once libcurl reports the transfer done with `code`.
    func result(code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        if overflowed || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(HTTPError(code: Int(code.rawValue), message: "response body larger than \(limit) bytes"))
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : detail
            return .failure(HTTPError(code: Int(code.rawValue), message: StoreText.excerpt(Array(text.utf8))))
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, body: body, headers: headers))
    }

    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let onData {
            guard bytes.count <= limit else {
                overflowed = true
                return 0
            }
            onData(Array(bytes))
            return bytes.count
        }
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return 0  // makes libcurl stop with CURLE_WRITE_ERROR
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    fileprivate func appendHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = StoreText.trimmed(String(decoding: bytes, as: UTF8.self))
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response (after 100 Continue): keep only the final one's
        } else if !line.isEmpty, headers.count < 100 {
            headers.append(line)
        }
    }

    private static func validate(_ request: HTTPRequest) throws(HTTPError) {
        let lower = request.url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw HTTPError(code: 0, message: "not an http:// or https:// URL")
        }
        let forbidden: (UInt8) -> Bool = { $0 == 0 || $0 == 0x0a || $0 == 0x0d }
        for text in [request.url, request.method] + request.headers + [request.caFile ?? ""]
        where text.utf8.contains(where: forbidden) {
            throw HTTPError(code: 0, message: "request text contains NUL, CR or LF")
        }
        guard !request.method.isEmpty, request.method.utf8.allSatisfy({ (0x41...0x5a).contains($0) }) else {
            throw HTTPError(code: 0, message: "HTTP method must be uppercase letters")
        }
        guard request.timeout > 0, request.timeout.isFinite else {
            throw HTTPError(code: 0, message: "request timeout must be a positive number of seconds")
        }
    }

    private func configure(_ request: HTTPRequest, mark: UInt32, resolve: String?) throws(HTTPError) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var codes: [CURLcode] = [
            ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url),
            ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
            ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS,
                                   max(1, Int(min(max(request.timeout.isNaN ? 1 : request.timeout, 0), 86_400) * 1000))),
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1),
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2),
            ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0),
            ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, "stunmeshd"),
            ccurl_easy_setopt_write(easy, receiveBody),
            ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me),
            ccurl_easy_setopt_header(easy, receiveHeader),
            ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me),
            ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer),
            ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, UnsafeMutableRawPointer(bitPattern: UInt(id))),
            ccurl_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)),
        ]
        if let caFile = request.caFile { codes.append(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        if mark != 0 { codes.append(ccurl_easy_setopt_mark(easy, mark)) }
        if let body = request.body {
            // The size first: COPYPOSTFIELDS then copies exactly that many bytes (NULs included).
            codes.append(ccurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            var copy = body.isEmpty ? [0] : body
            codes.append(copy.withUnsafeMutableBytes { ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) })
            if request.method != "POST" { codes.append(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        } else if request.method == "HEAD" {
            codes.append(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        } else if request.method != "GET" {
            codes.append(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method))
        }
        for line in request.headers {
            guard let list = ccurl_slist_append(headerList, line) else {
                throw HTTPError(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            headerList = list
        }
        if let headerList { codes.append(ccurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList)) }
        if let resolve {
            guard !resolve.utf8.contains(where: { $0 == 0 || $0 == 0x0a || $0 == 0x0d }),
                  let list = ccurl_slist_append(nil, resolve) else {
                throw HTTPError(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "cannot hand the resolved addresses to libcurl")
            }
            resolveList = list
            codes.append(ccurl_easy_setopt_pointer(easy, CURLOPT_RESOLVE, list))
        }
        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            throw HTTPError(code: Int(failed.rawValue), message: "cannot configure the request: " + String(cString: ccurl_easy_strerror(failed)))
        }
    }
}
