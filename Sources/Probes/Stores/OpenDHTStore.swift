import EventLoop
import Glibc
import JSON
import Record
import SystemCalls

/// A store in the OpenDHT network, reached through an OpenDHT proxy's REST API, compatible
/// with stunmesh-go's builtin `opendht` plugin: needs no account at all. A key holds a set of
/// values, not one slot, and anyone may add to it, so each value is an envelope
/// `{"magic":…,"ts":<unix seconds>,"data":"<record hex>"}` (base64 in the proxy's `data`); a
/// read keeps the envelopes with our magic and returns the newest. Proxies are tried in order
/// until one answers. Values expire after 10 minutes: republishing is the caller's job.
public final class OpenDHTStore: Store {
    /// "opendht <endpoint>, …".
    public let name: String
    /// HTTP requests made so far, failed ones and fallbacks included: for benchmarks.
    public fileprivate(set) var calls = 0
    /// Listens open now (`watch`).
    public fileprivate(set) var listening = 0
    /// Requests made, for status.
    public var usage: StoreUsage { StoreUsage(requests: calls) }
    private let loop: EventLoop
    private let client: HTTPClient
    private let endpoints: [String]
    private let magic: String
    private let timeout: Double
    private let caFile: String?
    /// The envelope's clock (unix seconds); tests replace it to order their puts.
    var unixTime: () -> Int = WallClock.unixSeconds

    /// A store using the proxies at `endpoints` (http:// or https:// base URLs, tried in
    /// order), tagging values with `magic`; `timeout` bounds each request (a lookup that finds
    /// nothing can take seconds); `caFile` replaces the system CA certificates.
    public init(loop: EventLoop, client: HTTPClient, endpoints: [String], magic: String = "stunmesh-v1",
                timeout: Double = 15, caFile: String? = nil) {
        self.loop = loop
        self.client = client
        self.endpoints = endpoints.map { endpoint in
            var base = endpoint
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }
        self.magic = magic
        self.timeout = timeout
        self.caFile = caFile
        self.name = "opendht \(self.endpoints.joined(separator: ", "))"
    }

    /// GET {endpoint}/key/{key}: the `data` of the newest envelope with our magic (largest
    /// `ts`, the first of equals); nil when there is none. Values that are not our envelopes
    /// are ignored.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        request("GET", key: key, body: nil) { [magic] result in
            completion(result.map { response in
                let newest = Self.newestEnvelope(in: response.body, magic: magic)
                let data = newest.map { StoreText.trimmed($0.data) } ?? ""
                return data.isEmpty ? nil : data
            })
        }
    }

    /// POST {endpoint}/key/{key} `{"data":"<base64 envelope>"}`: adds a value stamped now.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        let envelope = JSONValue.object([("magic", .string(magic)), ("ts", .number(Double(unixTime()))),
                                         ("data", .string(value))])
        let body = JSONValue.object([("data", .string(Base64.encode(Array(envelope.encoded().utf8))))])
        request("POST", key: key, body: Array(body.encoded().utf8)) { completion($0.map { _ in () }) }
    }

    /// The envelope with `magic` and the largest `ts` among the proxy's lines (one JSON value
    /// per line, `data` in base64), skipping anything else, as stunmesh-go does.
    static func newestEnvelope(in body: [UInt8], magic: String) -> (ts: Int, data: String)? {
        var newest: (ts: Int, data: String)?
        for line in body.split(separator: 0x0a) {
            guard let value = try? JSONValue(parsing: String(decoding: line, as: UTF8.self)),
                  let encoded = value["data"]?.stringValue,
                  let raw = Base64.decode(encoded),
                  let envelope = try? JSONValue(parsing: String(decoding: raw, as: UTF8.self)),
                  envelope["magic"]?.stringValue == magic,
                  let ts = envelope["ts"]?.intValue,
                  let data = envelope["data"]?.stringValue else { continue }
            if newest == nil || ts > newest!.ts { newest = (ts, data) }
        }
        return newest
    }

    /// Sends to the endpoints in order until one answers 2xx; an answer that has no value is
    /// still an answer (every proxy fronts the same DHT).
    private func request(_ method: String, key: String, body: [UInt8]?, index: Int = 0, failures: [String] = [],
                         completion: @escaping (Result<HTTPResponse, StoreError>) -> Void) {
        guard index < endpoints.count else {
            let detail = failures.isEmpty ? "no endpoints configured" : failures.joined(separator: "; ")
            return loop.soon { [name] in completion(.failure(StoreError("\(name): \(method) failed: \(detail)"))) }
        }
        let endpoint = endpoints[index]
        calls += 1
        let request = HTTPRequest(method: method, url: "\(endpoint)/key/\(key)", headers: ["Content-Type: application/json"],
                                  body: body, timeout: timeout, caFile: caFile)
        client.send(request) { [self] result in
            let failure: String
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                return completion(.success(response))
            case .success(let response):
                failure = "HTTP \(response.status) \(StoreText.excerpt(response.body, limit: 120))"
            case .failure(let error):
                failure = "\(error)"
            }
            self.request(method, key: key, body: body, index: index + 1,
                         failures: failures + ["\(endpoint): \(StoreText.trimmed(failure))"], completion: completion)
        }
    }
}

extension OpenDHTStore {
    /// At most this many listens at once per store (every proxy of it): proxies are shared and
    /// public; a peer beyond them is polled.
    public static let maximumListens = 4
    /// A listen is restarted after this long (a stream that died silently on the way, a NAT
    /// that forgot an idle TCP flow, is found within it).
    public static let listenFor = 600.0

    /// GET {endpoint}/key/{key}/listen: the proxy streams each value put under `key` (one JSON
    /// line each) while the request lasts. Any line calls `onChange` (spurious calls are allowed);
    /// the stream is restarted when it ends (after `listenFor`, or at once on the next proxy when
    /// one fails). Nil beyond `maximumListens`.
    public func watch(key: String, onChange: @escaping () -> Void) -> StoreWatch? {
        guard StoreText.isKey(key), listening < Self.maximumListens else { return nil }
        let listen = OpenDHTListen(store: self, key: key, onChange: onChange)
        listen.start()
        return listen
    }

    /// A listen costs requests: the supervisor keeps one only while it is needed.
    public var watchCostsRequests: Bool { true }

    fileprivate func listen(_ key: String, endpoint index: Int,
                            onData: @escaping ([UInt8]) -> Void,
                            ended: @escaping (Result<HTTPResponse, HTTPError>) -> Void) -> HTTPRequestToken {
        calls += 1
        let request = HTTPRequest(method: "GET", url: "\(endpoints[index % endpoints.count])/key/\(key)/listen",
                                  timeout: Self.listenFor, caFile: caFile, maximumResponseSize: 1 << 16)
        return client.send(request, onData: onData, completion: ended)
    }

    fileprivate var endpointCount: Int { endpoints.count }
    fileprivate var eventLoop: EventLoop { loop }
    fileprivate func cancel(_ token: HTTPRequestToken) { client.cancel(token) }
}

/// One key's listen on an OpenDHT proxy (see `OpenDHTStore.watch`). Contract: `onChange` runs on
/// the loop, never inside `watch`, never after `cancel()`.
final class OpenDHTListen: StoreWatch {
    private weak var store: OpenDHTStore?
    private let key: String
    private let onChange: () -> Void
    private var token: HTTPRequestToken?
    private var endpoint = 0
    private var cancelled = false
    private var changeDue = false
    private var failures = 0
    private var restart: TimerWatcher?

    init(store: OpenDHTStore, key: String, onChange: @escaping () -> Void) {
        self.store = store
        self.key = key
        self.onChange = onChange
    }

    func start() {
        guard !cancelled, let store else { return }
        store.listening += 1
        token = store.listen(key, endpoint: endpoint, onData: { [weak self] chunk in self?.received(chunk) },
                             ended: { [weak self] result in self?.ended(result) })
    }

    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        restart?.stop()
        restart = nil
        if let token, let store {
            store.cancel(token)
            store.listening -= 1
        }
        token = nil
    }

    /// Called from inside libcurl: only note it, and call back on the next loop iteration.
    private func received(_ chunk: [UInt8]) {
        guard !cancelled, !changeDue, chunk.contains(where: { $0 == UInt8(ascii: "{") }), let store else { return }
        changeDue = true
        store.eventLoop.soon { [weak self] in
            guard let self, !self.cancelled else { return }
            self.changeDue = false
            self.onChange()
        }
    }

    private func ended(_ result: Result<HTTPResponse, HTTPError>) {
        token = nil
        guard !cancelled, let store else { return }
        store.listening -= 1
        // The proxy answered and the listen simply ran its time (curl error 28): again at once;
        // otherwise the next proxy, after a pause.
        // otherwise the next proxy, after a pause that doubles with each failure in a row (5 s to
        // 5 min: a proxy without the listen API costs a request every 5 minutes).
        var pause: Double
        switch result {
        case .success(let response) where (200..<300).contains(response.status):
            failures = 0
            pause = 1
        case .failure(let error) where error.code == 28:
            failures = 0
            pause = 0.1
        default:
            failures += 1
            endpoint = (endpoint + 1) % max(1, store.endpointCount)
            pause = min(300, 5 * Double(1 << min(failures - 1, 6)))
        }
        let timer = TimerWatcher(loop: store.eventLoop) { [weak self] in self?.start() }
        restart = timer
        timer.start(after: pause)
    }
}
