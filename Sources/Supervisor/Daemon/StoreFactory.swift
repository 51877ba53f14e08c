import EventLoop
import Probes

/// Makes the store a `plugins:` entry describes. One store per plugin name, shared by the
/// peers that name it.
enum StoreFactory {
    /// The store for `plugin`, and whether its writes are deduplicated. HTTP stores get their
    /// client from `http`, which makes the loop's one client on first use (loading libcurl); when
    /// libcurl cannot be loaded, that is the plugin's error.
    static func make(name: String, plugin: PluginConfig, loop: EventLoop,
                     http: () throws(CurlLoadError) -> HTTPClient) throws(ConfigError) -> (Store, dedup: Bool) {
        func client() throws(ConfigError) -> HTTPClient {
            do { return try http() } catch { throw ConfigError(keyPath: "plugins.\(name)", message: "\(error)") }
        }
        switch plugin {
        case .file(let directory):
            return (FileStore(loop: loop, directory: directory), false)
        case .exec(let command, let args, let dedup):
            return (PluginStore(.exec, loop: loop, command: command, args: args), dedup)
        case .shell(let command, let args, let dedup):
            return (PluginStore(.shell, loop: loop, command: command, args: args), dedup)
        case .cloudflare(let zone, let token, let subdomain, let apiURL, let dedup, let caFile):
            return (CloudflareStore(loop: loop, client: try client(), zone: zone, token: token, subdomain: subdomain,
                                    apiURL: apiURL ?? CloudflareStore.defaultAPIURL, caFile: caFile), dedup)
        case .openDHT(let endpoints, let magic, let timeout, _, let caFile):
            return (OpenDHTStore(loop: loop, client: try client(), endpoints: endpoints, magic: magic, timeout: timeout,
                                 caFile: caFile), false)
        }
    }
}
