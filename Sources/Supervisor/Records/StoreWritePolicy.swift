/// When a peer's record is written to one store. Stores that keep what they are given need a
/// write only when the record says something new; stores whose values expire (OpenDHT) need one
/// before every expiry; for plugins we cannot see into, stunmesh-go's `dedup` decides.
public enum StoreWritePolicy: Equatable, Sendable {
    /// Every publish writes (exec/shell plugins with `dedup: false`, stunmesh-go's default: the
    /// plugin's backend may expire or lose values).
    case always
    /// A publish writes only when the endpoints changed, or when the last write is `rewriteAfter`
    /// seconds old (so a record deleted behind our back comes back). Cloudflare, the file store,
    /// and plugins with `dedup: true`.
    case whenChanged(rewriteAfter: Double)
    /// Values expire: besides writing changed endpoints, the store's lane rewrites the record every
    /// `republishEvery` seconds on a timer of its own, whatever the refresh interval; a publish of
    /// unchanged endpoints writes only if that timer has fallen behind. OpenDHT.
    case expiring(republishEvery: Double)

    /// Whether a publish of endpoints `content` at loop time `now` must write, given the last
    /// successful write to this store under the same key (nil: none yet).
    func mustWrite(content: String, lastWrite: (content: String, at: Double)?, now: Double) -> Bool {
        guard let lastWrite, lastWrite.content == content else { return true }
        switch self {
        case .always: return true
        case .whenChanged(let rewriteAfter): return now - lastWrite.at >= rewriteAfter
        case .expiring(let every): return now - lastWrite.at >= every
        }
    }

    /// The republish period of an expiring store; nil for the others.
    var republishInterval: Double? {
        if case .expiring(let every) = self { every } else { nil }
    }
}
