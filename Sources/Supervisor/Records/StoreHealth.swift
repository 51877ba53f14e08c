/// How one of a peer's stores has been doing, for status: the last success and error, the
/// failures in a row, the writes made and skipped, and for HTTP stores the requests made and,
/// for Cloudflare, the rate-limit budget. Times are wall-clock seconds since the epoch.
public struct StoreHealth: Equatable, Sendable {
    /// The plugin's name under `plugins:`.
    public var plugin: String
    /// The store's own description ("cloudflare example.com", "opendht http://…").
    public var store: String
    /// When an operation (get or set) last succeeded; nil if none has.
    public var lastSuccess: Double?
    /// The last failure's message, kept after later successes; nil if none failed.
    public var lastError: String?
    /// When that failure happened.
    public var lastErrorAt: Double?
    /// Operations that failed since the last success (0 when the store works).
    public var consecutiveFailures: Int
    /// When our record was last written successfully.
    public var lastWrite: Double?
    /// Successful writes of our record.
    public var writes: Int
    /// Publishes that skipped this store because it already held the same endpoints.
    public var writesSkipped: Int
    /// HTTP requests this store has made so far, for every peer using it (HTTP stores only).
    public var requests: Int?
    /// Cloudflare's rate limit as the store sees it (Cloudflare stores only).
    public var cloudflareBudget: CloudflareBudgetStatus?

    /// Whether the last operation succeeded (or none has run yet).
    public var isHealthy: Bool { consecutiveFailures == 0 }
}

/// Cloudflare's API budget at one moment: calls made in the last 5 minutes out of the limit, and
/// for how many more seconds every call is blocked after an HTTP 429.
public struct CloudflareBudgetStatus: Equatable, Sendable {
    /// Calls made in the sliding 5-minute window.
    public var used: Int
    /// Calls allowed in that window (1200 per account unless configured lower).
    public var limit: Int
    /// Seconds until calls are allowed again after a 429; nil when not blocked.
    public var blockedFor: Double?
}
