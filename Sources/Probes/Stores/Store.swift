import EventLoop

/// Why a store operation failed, as one sentence for logs (a plugin's own error text, an
/// errno, a timeout). The supervisor only logs it and retries later, so it carries no cases.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// A key-value store two peers share: where each publishes its sealed endpoint record and reads
/// the other's. Completions run on the loop, never synchronously inside get/set.
public protocol Store: AnyObject {
    /// A short name for logs ("file /var/lib/stunmesh", "exec /usr/local/bin/plugin").
    var name: String { get }

    /// Reads the value under `key`; `nil` when there is no record under that key.
    func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void)

    /// Writes `value` under `key`, replacing what was there.
    func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void)

    /// What the store as a whole has used, for every peer sharing it: requests made (HTTP stores)
    /// and its API budget (Cloudflare). Stores without such facts keep the default (nothing).
    var usage: StoreUsage { get }

    /// Calls `onChange` on the loop whenever the value under `key` may have changed (spurious
    /// calls are allowed; a missed change is not), until the returned watch is cancelled; nil
    /// when the store cannot tell and must be polled. Never calls `onChange` inside `watch`.
    func watch(key: String, onChange: @escaping () -> Void) -> StoreWatch?

    /// Whether a watch costs requests to a service (an OpenDHT listen) rather than nothing (the
    /// file store's inotify): such a watch is kept only while the peer needs it (a record
    /// missing, a repair).
    var watchCostsRequests: Bool { get }
}

/// A store's notification of changes to one key; `cancel()` ends it (no call after it returns).
public protocol StoreWatch: AnyObject {
    /// Ends the notifications.
    func cancel()
}

extension Store {
    /// Nothing to report beyond what each peer's `StoreAccount` counts.
    public var usage: StoreUsage { StoreUsage() }

    /// The store cannot tell: it is polled.
    public func watch(key: String, onChange: @escaping () -> Void) -> StoreWatch? { nil }

    /// Watching is free (or there is no watch).
    public var watchCostsRequests: Bool { false }
}

/// What one store (shared by the peers that name its plugin) has used: the facts only the store
/// knows, beside each peer's own account of its calls (`StoreAccount`).
public struct StoreUsage: Equatable, Sendable {
    /// Requests made so far (an HTTP store: one operation can take several), for every peer.
    public var requests: Int?
    /// The store's API budget now, where it has one.
    public var budget: StoreBudgetStatus?

    /// Usage from its parts.
    public init(requests: Int? = nil, budget: StoreBudgetStatus? = nil) {
        self.requests = requests
        self.budget = budget
    }
}

/// An API budget at one moment: calls made in the sliding window out of the limit, and for how
/// many more seconds every call is blocked after the service said "too many" (HTTP 429).
public struct StoreBudgetStatus: Equatable, Sendable {
    /// Calls made in the window.
    public var used: Int
    /// Calls allowed in the window.
    public var limit: Int
    /// The window's length in seconds.
    public var window: Double
    /// Seconds until calls are allowed again after a 429; nil when not blocked.
    public var blockedFor: Double?

    /// A budget status from its parts.
    public init(used: Int, limit: Int, window: Double, blockedFor: Double?) {
        self.used = used
        self.limit = limit
        self.window = window
        self.blockedFor = blockedFor
    }
}
