import EventLoop
import Probes

/// The `exec` and `shell` plugins (stunmesh-go's plugin protocols): a program run per operation.
enum PluginStoreKind {
    /// The kind's descriptor: a plugin's backend is opaque, so stunmesh-go's `dedup` decides
    /// whether an unchanged record is written again; the lane's timeout is the program's plus a
    /// second.
    static func descriptor(_ pluginProtocol: PluginStore.PluginProtocol, command: String, args: [String], dedup: Bool,
                           refreshInterval: Double) -> StoreDescriptor {
        StoreDescriptor(kind: pluginProtocol.rawValue,
                        writePolicy: dedup ? StoreFactory.rewriteWhenChanged(refreshInterval: refreshInterval) : .always,
                        operationTimeout: PluginStore.defaultTimeout + 1, changes: .polled, cost: .process, budget: nil,
                        make: { loop, _ in PluginStore(pluginProtocol, loop: loop, command: command, args: args) })
    }
}

extension ConfigDecoder {
    /// `command` (required) and `args`.
    func decodePluginStore(_ fields: inout ConfigFields, _ pluginProtocol: PluginStore.PluginProtocol,
                           dedup: Bool) throws(ConfigError) -> PluginConfig {
        let command = try required(&fields, "command")
        let args = try fields.take("args")?.stringList(at: fields.path("args")) ?? []
        switch pluginProtocol {
        case .exec: return .exec(command: command, args: args, dedup: dedup)
        case .shell: return .shell(command: command, args: args, dedup: dedup)
        }
    }
}
