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
    /// Makes the store on `loop`; an HTTP store asks `http` for the loop's one client (which
    /// loads libcurl on first use and throws when it cannot).
    let make: (_ loop: EventLoop, _ http: () throws(CurlLoadError) -> HTTPClient) throws(CurlLoadError) -> Store
}
