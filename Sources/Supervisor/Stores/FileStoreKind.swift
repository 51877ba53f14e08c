import EventLoop
import Probes

/// The builtin `file` store (`type: builtin, name: file, directory: …`): a directory on a local or
/// shared file system, one file per key.
enum FileStoreKind {
    /// A local file system answers at once; a hung NFS mount must not hold a peer for longer.
    static let operationTimeout = 5.0

    /// The kind's descriptor: written when the record changes (and hourly, so a file deleted
    /// behind our back comes back), polled, nearly free.
    static func descriptor(directory: String, refreshInterval: Double) -> StoreDescriptor {
        StoreDescriptor(kind: "file", writePolicy: StoreFactory.rewriteWhenChanged(refreshInterval: refreshInterval),
                        operationTimeout: operationTimeout, changes: .polled, cost: .local, budget: nil,
                        make: { loop, _ in FileStore(loop: loop, directory: directory) })
    }
}

extension ConfigDecoder {
    /// `directory` (required).
    func decodeFileStore(_ fields: inout ConfigFields) throws(ConfigError) -> PluginConfig {
        .file(directory: try required(&fields, "directory"))
    }
}
