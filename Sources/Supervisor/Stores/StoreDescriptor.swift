import EventLoop
import Probes

/// Everything the daemon knows about one kind of store, made from its config section by the
/// kind's own file (`FileStoreKind`, `PluginStoreKind`, `CloudflareStoreKind`, `OpenDHTStoreKind`)
/// and looked up through the one registry (`PluginConfig.descriptor`, StoreRegistry.swift): when a
/// publish writes, how long an operation may take, how the peer's changes reach us, what a call
/// costs and which budget limits it, and how to make the store. Nothing else in the daemon
/// switches over store kinds.
struct StoreDescriptor {
    /// How the peer's new record reaches us.
    enum Changes: Equatable {
        /// Only by reading it again: the daemon polls.
        case polled
    }

    /// What one call costs, so that pacing can treat stores by what they are.
    enum Cost: Equatable {
        /// A local file system: nearly free.
        case local
        /// A program started per call: a fork and whatever the program does.
        case process
        /// A metered API with an account-wide budget (Cloudflare).
        case meteredAPI
        /// Public infrastructure run by others (OpenDHT proxies): be polite.
        case publicService
    }

    /// An API budget: `calls` per `window` seconds, shared by every peer and node using the account.
    struct Budget: Equatable {
        /// Calls allowed per window.
        let calls: Int
        /// The window, seconds.
        let window: Double
    }

    /// The kind's name as config spells it (`file`, `exec`, `shell`, `cloudflare`, `opendht`).
    let kind: String
    /// When a publish writes.
    let writePolicy: StoreWritePolicy
    /// Seconds after which one operation counts as failed, from the store's own timeouts.
    let operationTimeout: Double
    /// How changes reach us.
    let changes: Changes
    /// What a call costs.
    let cost: Cost
    /// The store's API budget, where it has one.
    let budget: Budget?
    /// How fast this daemon may read the store, all peers together (`StoreReadPacer`): from the
    /// cost class, and for a metered API a share of the account's budget.
    var readBudget: StoreReadPacer.Budget {
        switch cost {
        case .local: return .init(burst: 20, perSecond: 10)
        case .process: return .init(burst: 4, perSecond: 1.0 / 5)
        case .meteredAPI:
            // A tenth of the account's budget for this daemon's reads (the rest: its writes, the
            // other nodes of the account, and headroom under the limit).
            let share = budget.map { Double($0.calls) / $0.window / 10 } ?? 0.2
            return .init(burst: 10, perSecond: share)
        case .publicService: return .init(burst: 5, perSecond: 1.0 / 3)
        }
    }
    /// Makes the store on `loop`; an HTTP store asks `http` for the loop's one client (which
    /// loads libcurl on first use and throws when it cannot).
    let make: (_ loop: EventLoop, _ http: () throws(CurlLoadError) -> HTTPClient) throws(CurlLoadError) -> Store
}
