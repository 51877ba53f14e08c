import EventLoop
import Probes
import SystemCalls

/// The builtin `opendht` store: values on the OpenDHT network through its HTTP proxies.
enum OpenDHTStoreKind {
    /// The longest `timeout` accepted for one request, seconds.
    static let longestTimeout = 300.0

    /// The kind's descriptor: values expire after 10 minutes, so the lane republishes on its own
    /// timer; an operation may try every proxy at the request timeout, plus a second; public
    /// infrastructure, so calls are kept few.
    static func descriptor(endpoints: [String], magic: String, timeout: Double, republishInterval: Double,
                           caFile: String?) -> StoreDescriptor {
        StoreDescriptor(kind: "opendht", writePolicy: .expiring(republishEvery: republishInterval),
                        operationTimeout: timeout * Double(max(1, endpoints.count)) + 1,
                        changes: .polled, cost: .publicService, budget: nil,
                        make: { loop, http throws(CurlLoadError) in
                            OpenDHTStore(loop: loop, client: try http(), endpoints: endpoints, magic: magic, timeout: timeout,
                                         caFile: caFile)
                        })
    }
}

extension ConfigDecoder {
    /// `endpoint` and `endpoints` (merged in that order, http(s) URLs without a trailing slash,
    /// duplicates dropped, at least one), `magic` (default stunmesh-v1), `timeout` (a duration or
    /// a number of seconds, default 15s), `republish_interval` (a duration under the 10-minute
    /// expiry of OpenDHT values, default 5m).
    mutating func decodeOpenDHT(_ fields: inout ConfigFields) throws(ConfigError) -> PluginConfig {
        var given: [(text: String, path: String, line: Int)] = []
        if let n = fields.take("endpoint") { given.append((try n.string(at: fields.path("endpoint")), fields.path("endpoint"), n.line)) }
        if let n = fields.take("endpoints") {
            for (index, text) in try n.stringList(at: fields.path("endpoints")).enumerated() {
                given.append((text, "\(fields.path("endpoints"))[\(index)]", n.line))
            }
        }
        var endpoints: [String] = []
        for item in given where !item.text.isEmpty {
            guard let url = Self.httpURL(item.text) else {
                throw ConfigError(keyPath: item.path, message: "must start with http:// or https://", line: item.line)
            }
            if !endpoints.contains(url) { endpoints.append(url) }
        }
        guard !endpoints.isEmpty else { throw fields.missing("endpoints", "is required (one or more proxy URLs)") }
        var magic = try fields.take("magic")?.string(at: fields.path("magic")) ?? ""
        if magic.isEmpty { magic = "stunmesh-v1" }
        var timeout = 15.0
        if let n = fields.take("timeout") {
            if case .scalar(let text, quoted: false) = n.content, let seconds = Double(text), seconds.isFinite {
                guard seconds > 0 else {
                    throw ConfigError(keyPath: fields.path("timeout"), message: "must be longer than zero", line: n.line)
                }
                timeout = seconds
            } else {
                timeout = try n.duration(at: fields.path("timeout"))
            }
            // A request longer than this is no timeout at all (and 1e300 s would overflow later).
            guard timeout > 0, timeout <= OpenDHTStoreKind.longestTimeout else {
                throw ConfigError(keyPath: fields.path("timeout"),
                                  message: "must be longer than zero and at most \(DurationText.span(OpenDHTStoreKind.longestTimeout))",
                                  line: n.line)
            }
        }
        var republish = 300.0
        if let n = fields.take("republish_interval") {
            republish = try n.duration(at: fields.path("republish_interval"))
            guard republish > 0, republish < 600 else {
                throw ConfigError(keyPath: fields.path("republish_interval"),
                                  message: "must be longer than zero and shorter than 10m (OpenDHT values expire after 10 minutes)",
                                  line: n.line)
            }
        }
        return .openDHT(endpoints: endpoints, magic: magic, timeout: timeout, republishInterval: republish,
                        caFile: try caFile(&fields))
    }

}
