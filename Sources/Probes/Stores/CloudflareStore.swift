import EventLoop
import JSON
import SystemCalls

/// A store in a Cloudflare DNS zone, name- and byte-compatible with stunmesh-go's builtin
/// `cloudflare` plugin: the record under key K is the TXT record `K.<subdomain>.<zone>` (or
/// `K.<zone>`) whose content is the raw hex record, created with the comment "Stunmesh". Talks
/// to the v4 API with a Bearer token, looks the zone id up once, and keeps within Cloudflare's
/// rate limit (see `budget`). The token never appears in names, errors or logs.
public final class CloudflareStore: Store {
    /// Cloudflare's API base, used unless the config's `api_url` says otherwise.
    public static let defaultAPIURL = "https://api.cloudflare.com/client/v4"
    /// Seconds one API request may take (the default of `init`'s `timeout`).
    public static let defaultTimeout = 10.0
    /// API requests one get or set can take: the zone lookup (once), finding the record, and
    /// creating or updating it.
    public static let maxRequestsPerOperation = 3
    /// The longest Retry-After believed, seconds.
    public static let longestRetryAfter = 3600.0
    /// Cloudflare's rate limit: 1200 API calls per account in any 5 minutes.
    public static let accountCallLimit = 1200
    /// The rate limit's window, seconds.
    public static let callWindow = 300.0
    /// "cloudflare <zone>".
    public let name: String
    /// API calls made so far (each HTTP request counts, whatever its outcome): for benchmarks.
    public private(set) var calls = 0
    private let loop: EventLoop
    private let client: HTTPClient
    private let zone: String
    private let token: String
    private let subdomain: String?
    private let apiURL: String
    private let timeout: Double
    private let caFile: String?
    var limits: CloudflareBudget
    private var zoneID: String?
    /// Callers waiting for the zone lookup in flight; nil when none is.
    private var zoneWaiters: [(Result<String, StoreError>) -> Void]?
    /// What this store last saw of each record, by name: lets a changed record be updated with
    /// one PATCH instead of a lookup and a PATCH.
    private var knownRecords: [String: (id: String, content: String)] = [:]

    /// A store for `zone` (e.g. "example.com") reached with API token `token`, with records
    /// under `subdomain` when given. `apiURL` replaces Cloudflare's API base (tests, proxies);
    /// `timeout` bounds each HTTP request; `caFile` replaces the system CA certificates;
    /// `callLimit` is the account's budget per 5 minutes (lower it when other tools share the
    /// account).
    public init(loop: EventLoop, client: HTTPClient, zone: String, token: String, subdomain: String? = nil,
                apiURL: String = CloudflareStore.defaultAPIURL, timeout: Double = CloudflareStore.defaultTimeout,
                caFile: String? = nil, callLimit: Int = CloudflareStore.accountCallLimit) {
        self.loop = loop
        self.client = client
        self.zone = zone
        self.token = token
        self.subdomain = subdomain.flatMap { $0.isEmpty ? nil : $0 }
        var base = apiURL
        while base.hasSuffix("/") { base.removeLast() }
        self.apiURL = base
        self.timeout = timeout
        self.caFile = caFile
        self.limits = CloudflareBudget(limit: callLimit)
        self.name = "cloudflare \(zone)"
    }

    /// The rate-limit state: calls made in the last 5 minutes, the account's limit, and until
    /// when (loop time, `EventLoop.now`) every call is refused after an HTTP 429. Calls are
    /// refused from 90 % of the limit on, until the window frees up.
    public var budget: (used: Int, limit: Int, blockedUntil: Double?) {
        let now = loop.now
        return (limits.used(at: now), limits.limit, limits.blocked(at: now))
    }

    /// Requests made and the budget, for status.
    public var usage: StoreUsage {
        let now = budget
        return StoreUsage(requests: calls, budget: StoreBudgetStatus(used: now.used, limit: now.limit, window: limits.window,
                                                                     blockedFor: now.blockedUntil.map { max(0, $0 - loop.now) }))
    }

    /// The TXT record name for `key`, as stunmesh-go builds it.
    public func recordName(for key: String) -> String {
        subdomain.map { "\(key).\($0).\(zone)" } ?? "\(key).\(zone)"
    }

    /// Reads the first TXT record named for `key`; its content with quotes and whitespace
    /// removed (DNS tools may split or quote TXT strings), nil when there is none.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        let fqdn = recordName(for: key)
        withZone { [self] zone in
            switch zone {
            case .failure(let error): completion(.failure(error))
            case .success(let zoneID):
                find(fqdn, zoneID: zoneID) { found in
                    completion(found.map { record in record.flatMap { $0.content.isEmpty ? nil : $0.content } })
                }
            }
        }
    }

    /// Writes `value` as the content of the TXT record named for `key`: PATCHes the record if
    /// it exists (nothing when it already holds `value`), creates it otherwise.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        let fqdn = recordName(for: key)
        withZone { [self] zone in
            switch zone {
            case .failure(let error): completion(.failure(error))
            case .success(let zoneID):
                if let known = knownRecords[fqdn], known.content != value {
                    update(fqdn, id: known.id, value: value, zoneID: zoneID) { [self] result, status in
                        guard status == 404 else { return completion(result) }
                        knownRecords[fqdn] = nil  // deleted behind our back: look it up afresh
                        findAndWrite(fqdn, value: value, zoneID: zoneID, completion: completion)
                    }
                } else {
                    findAndWrite(fqdn, value: value, zoneID: zoneID, completion: completion)
                }
            }
        }
    }

    // MARK: The API operations

    private func findAndWrite(_ fqdn: String, value: String, zoneID: String,
                              completion: @escaping (Result<Void, StoreError>) -> Void) {
        find(fqdn, zoneID: zoneID) { [self] found in
            switch found {
            case .failure(let error): completion(.failure(error))
            case .success(let record?) where record.content == value: completion(.success(()))
            case .success(let record?): update(fqdn, id: record.id, value: value, zoneID: zoneID) { result, _ in completion(result) }
            case .success(nil): create(fqdn, value: value, zoneID: zoneID, completion: completion)
            }
        }
    }

    /// GET /zones?name=<zone> once; concurrent callers share one lookup.
    private func withZone(_ body: @escaping (Result<String, StoreError>) -> Void) {
        if let zoneID { return loop.soon { body(.success(zoneID)) } }
        if zoneWaiters != nil { zoneWaiters!.append(body); return }
        zoneWaiters = [body]
        call("GET", "/zones?name=\(Self.queryEscaped(zone))") { [self] reply, _ in
            let result = reply.flatMap { json -> Result<String, StoreError> in
                switch CloudflareAnswer.zoneID(in: json) {
                case .found(let id): return .success(id)
                case .none: return .failure(error("zone \(zone) not found (or the token cannot read it)"))
                case .malformed(let detail): return .failure(malformed("zone lookup", detail))
                }
            }
            if case .success(let id) = result { zoneID = id }
            let waiters = zoneWaiters ?? []
            zoneWaiters = nil
            for waiter in waiters { waiter(result) }
        }
    }

    /// GET /zones/{zid}/dns_records?type=TXT&name=<fqdn> → result[0], content cleaned; nil
    /// when there is no such record.
    private func find(_ fqdn: String, zoneID: String,
                      completion: @escaping (Result<(id: String, content: String)?, StoreError>) -> Void) {
        call("GET", "/zones/\(zoneID)/dns_records?type=TXT&name=\(Self.queryEscaped(fqdn))") { [self] reply, _ in
            completion(reply.flatMap { json -> Result<(id: String, content: String)?, StoreError> in
                switch CloudflareAnswer.firstRecord(in: json) {
                case .found(let found):
                    let record = (id: found.id, content: found.content)
                    knownRecords[fqdn] = record
                    return .success(record)
                case .none:
                    knownRecords[fqdn] = nil
                    return .success(nil)
                case .malformed(let detail): return .failure(malformed("record lookup", detail))
                }
            })
        }
    }

    /// PATCH /zones/{zid}/dns_records/{id} {"content":"<hex>"}; passes the HTTP status on.
    private func update(_ fqdn: String, id: String, value: String, zoneID: String,
                        completion: @escaping (Result<Void, StoreError>, Int) -> Void) {
        let body = JSONValue.object([("content", .string(value))])
        call("PATCH", "/zones/\(zoneID)/dns_records/\(id)", body: body) { [self] reply, status in
            if case .success = reply { knownRecords[fqdn] = (id, value) }
            completion(reply.map { _ in () }, status)
        }
    }

    /// POST /zones/{zid}/dns_records {"type":"TXT","name":…,"content":…,"comment":"Stunmesh"}.
    private func create(_ fqdn: String, value: String, zoneID: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        let body = JSONValue.object([("type", .string("TXT")), ("name", .string(fqdn)),
                                     ("content", .string(value)), ("comment", .string("Stunmesh"))])
        call("POST", "/zones/\(zoneID)/dns_records", body: body) { [self] reply, _ in
            if case .success(let json) = reply, let id = CloudflareAnswer.createdID(in: json) {
                knownRecords[fqdn] = (id, value)
            }
            completion(reply.map { _ in () })
        }
    }

    // MARK: One API call

    /// Sends one API request within the budget and checks Cloudflare's envelope
    /// (`{"success":true,…}`); the completion also gets the HTTP status (0 without a response).
    private func call(_ method: String, _ path: String, body: JSONValue? = nil,
                      completion: @escaping (Result<JSONValue, StoreError>, Int) -> Void) {
        let what = "\(method) \(path.split(separator: "?").first ?? "")"
        let now = loop.now
        if let refusal = limits.refusal(at: now) {
            return loop.soon { [self] in completion(.failure(error("\(what) not sent: \(refusal)")), 0) }
        }
        limits.record(at: now)
        calls += 1
        let request = HTTPRequest(method: method, url: apiURL + path,
                                  headers: ["Authorization: Bearer \(token)", "Content-Type: application/json"],
                                  body: body.map { Array($0.encoded().utf8) }, timeout: timeout, caFile: caFile,
                                  maximumResponseSize: 256 * 1024)
        client.send(request) { [self] result in
            switch result {
            case .failure(let failure):
                completion(.failure(error("\(what) failed: \(failure)")), 0)
            case .success(let response):
                completion(check(response, what), response.status)
            }
        }
    }

    private func check(_ response: HTTPResponse, _ what: String) -> Result<JSONValue, StoreError> {
        switch CloudflareAnswer.read(response, longestRetryAfter: Self.longestRetryAfter) {
        case .rateLimited(let retryAfter):
            limits.block(at: loop.now, seconds: retryAfter)
            let until = limits.blocked(at: loop.now).map { $0 - loop.now } ?? limits.blockDuration
            return .failure(error("\(what): HTTP 429, rate limited; every call is blocked for \(DurationText.span(until))"))
        case .refused(let detail): return .failure(error("\(what): \(detail)"))
        case .ok(let json): return .success(json)
        }
    }

    // MARK: Text

    /// A store error naming this store, with the token (should anything echo it) blanked out.
    private func error(_ text: String) -> StoreError {
        StoreError(Self.redacted("\(name): \(text)", token))
    }

    private func malformed(_ what: String, _ detail: String) -> StoreError {
        error("\(what): unexpected reply from the API: \(detail)")
    }

    /// `text` with every occurrence of `secret` replaced by "<redacted>".
    static func redacted(_ text: String, _ secret: String) -> String {
        let bytes = Array(text.utf8), hidden = Array(secret.utf8)
        guard !hidden.isEmpty, bytes.count >= hidden.count else { return text }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if i + hidden.count <= bytes.count, bytes[i..<(i + hidden.count)].elementsEqual(hidden) {
                out += Array("<redacted>".utf8)
                i += hidden.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes all but RFC 3986's unreserved characters, for a query value.
    static func queryEscaped(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5a, 0x61...0x7a, 0x2d, 0x2e, 0x5f, 0x7e: out.append(byte)
            default: out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
