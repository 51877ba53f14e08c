import Probes

/// One of a peer's stores as status shows it: which plugin, the store's own name, the peer's
/// account of its calls (`StoreAccount`) and what the store as a whole has used (`StoreUsage`:
/// HTTP requests, API budget). A plain value read from `StoreLane`; nothing here is counted twice.
public struct StoreHealth: Equatable, Sendable {
    /// The plugin's name under `plugins:`.
    public var plugin: String
    /// The store's own description ("cloudflare example.com", "opendht http://…").
    public var store: String
    /// What this peer's calls did.
    public var account: StoreAccount
    /// What the store has used for every peer sharing it.
    public var usage: StoreUsage
    /// The store's read pacer as it stands (shared by the peers reading the store).
    public var pacing: ReadPacing?

    /// A store's health from its parts.
    public init(plugin: String, store: String, account: StoreAccount = StoreAccount(), usage: StoreUsage = StoreUsage()) {
        self.plugin = plugin
        self.store = store
        self.account = account
        self.usage = usage
    }

    /// Whether the last operation succeeded (or none has run yet).
    public var isHealthy: Bool { account.isHealthy }
    /// Operations that failed since the last success.
    public var consecutiveFailures: Int { account.consecutiveFailures }
    /// When an operation last succeeded.
    public var lastSuccess: Double? { account.lastSuccess }
    /// The last failure's message.
    public var lastError: String? { account.lastError }
    /// When that failure happened.
    public var lastErrorAt: Double? { account.lastErrorAt }
    /// When our record was last written.
    public var lastWrite: Double? { account.lastWrite }
    /// Successful writes of our record.
    public var writes: Int { account.writes }
    /// Publishes that needed no write here.
    public var writesSkipped: Int { account.writesSkipped }
}

/// A store's read pacer at one moment, for status.
public struct ReadPacing: Equatable, Sendable {
    /// Its budget.
    public var budget: StoreReadPacer.Budget
    /// Reads that may go out at once now (negative: reads are waiting).
    public var tokens: Double
    /// Reads that had to wait so far, and how long in all.
    public var delayed: Int
    /// See `delayed`, seconds.
    public var delaySum: Double

    /// A pacing status from its parts.
    public init(budget: StoreReadPacer.Budget, tokens: Double, delayed: Int, delaySum: Double) {
        self.budget = budget
        self.tokens = tokens
        self.delayed = delayed
        self.delaySum = delaySum
    }
}
