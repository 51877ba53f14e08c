import EventLoop
import Probes

/// Makes the store a `plugins:` entry describes, through its kind's descriptor. One store per
/// plugin name, shared by the peers that name it.
enum StoreFactory {
    /// The store for `plugin` (how a store is made does not depend on the refresh interval,
    /// only its write policy does). HTTP stores get their client from `http`, which makes the loop's
    /// one client on first use (loading libcurl); when libcurl cannot be loaded, that is the
    /// plugin's error.
    static func make(name: String, plugin: PluginConfig, loop: EventLoop,
                     http: () throws(CurlLoadError) -> HTTPClient) throws(ConfigError) -> Store {
        do {
            return try plugin.descriptor(refreshInterval: Config.defaultRefreshInterval).make(loop, http)
        } catch {
            throw ConfigError(keyPath: "plugins.\(name)", message: "\(error)")
        }
    }
}
