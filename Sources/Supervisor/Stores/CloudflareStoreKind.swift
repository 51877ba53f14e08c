import EventLoop
import Probes

/// The builtin `cloudflare` store: TXT records in a Cloudflare zone, through its metered API.
enum CloudflareStoreKind {
    /// The kind's descriptor: written when the record changes (DNS keeps it); an operation may
    /// take every request it needs at the request timeout, plus a second; the account's budget
    /// of 1200 calls per 5 minutes is shared by every node using it.
    static func descriptor(zone: String, token: String, subdomain: String?, apiURL: String?, caFile: String?,
                           refreshInterval: Double) -> StoreDescriptor {
        StoreDescriptor(kind: "cloudflare", writePolicy: StoreFactory.rewriteWhenChanged(refreshInterval: refreshInterval),
                        operationTimeout: Double(CloudflareStore.maxRequestsPerOperation) * CloudflareStore.defaultTimeout + 1,
                        changes: .polled, cost: .meteredAPI,
                        budget: .init(calls: CloudflareStore.accountCallLimit, window: CloudflareStore.callWindow),
                        make: { loop, http throws(CurlLoadError) in
                            CloudflareStore(loop: loop, client: try http(), zone: zone, token: token, subdomain: subdomain,
                                            apiURL: apiURL ?? CloudflareStore.defaultAPIURL, caFile: caFile)
                        })
    }
}

extension ConfigDecoder {
    /// `zone`, `token` (never quoted in errors), optional `subdomain` and `api_url`.
    mutating func decodeCloudflare(_ fields: inout ConfigFields, dedup: Bool) throws(ConfigError) -> PluginConfig {
        let zone = try required(&fields, "zone")
        let token = try required(&fields, "token")
        let subdomain = try fields.take("subdomain")?.string(at: fields.path("subdomain"))
        var apiURL: String?
        if let n = fields.take("api_url") {
            let text = try n.string(at: fields.path("api_url"))
            guard let url = Self.httpURL(text) else {
                throw ConfigError(keyPath: fields.path("api_url"), message: "must start with http:// or https://", line: n.line)
            }
            apiURL = url
        }
        return .cloudflare(zone: zone, token: token, subdomain: subdomain?.isEmpty == false ? subdomain : nil,
                           apiURL: apiURL, dedup: dedup, caFile: try caFile(&fields))
    }

}
