import EventLoop
import Probes

/// Makes the store a `plugins:` entry describes. One store per plugin name, shared by the
/// peers that name it.
enum StoreFactory {
    /// The store for `plugin`, and whether its writes are deduplicated; throws for kinds this
    /// build does not implement yet, naming the config key.
    static func make(name: String, plugin: PluginConfig, loop: EventLoop) throws(ConfigError) -> (Store, dedup: Bool) {
        switch plugin {
        case .file(let directory):
            return (FileStore(loop: loop, directory: directory), false)
        case .exec(let command, let args, let dedup):
            return (ExecPluginStore(loop: loop, command: command, args: args), dedup)
        case .shell(let command, let dedup):
            return (ShellPluginStore(loop: loop, command: command), dedup)
        case .cloudflare:
            throw ConfigError(keyPath: "plugins.\(name).name", message: "the builtin cloudflare store is not implemented in this version yet")
        case .openDHT:
            throw ConfigError(keyPath: "plugins.\(name).name", message: "the builtin opendht store is not implemented in this version yet")
        }
    }
}
