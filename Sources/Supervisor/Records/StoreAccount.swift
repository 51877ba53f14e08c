/// What one store did for one peer: calls, failures and latency per operation, successes and
/// failures in a row, writes made and skipped, and the calls of the last five minutes. The one
/// account of store work: `StoreLane` reports every call through it (and nothing else counts
/// store calls), and status, metrics and the health dump read it, for every store of a peer.
/// Pure and clock-free: every entry carries its time (wall-clock seconds; latencies in seconds).
public struct StoreAccount: Equatable, Sendable {
    /// The two operations of a store.
    public enum Operation: String, Sendable, CaseIterable {
        /// Reading a record.
        case get
        /// Writing our record.
        case set
    }

    /// The counts of one operation.
    public struct Counts: Equatable, Sendable {
        /// Calls started.
        public var calls = 0
        /// Calls that ended with an answer or a timeout.
        public var ended = 0
        /// Calls that failed (an error, or no answer within the lane's timeout).
        public var failures = 0
        /// Sum of the ended calls' durations.
        public var latencySum = 0.0
        /// The longest call.
        public var latencyMax = 0.0
        /// The last ended call's duration.
        public var lastLatency: Double?

        /// Mean duration of the ended calls; nil before the first.
        public var meanLatency: Double? { ended > 0 ? latencySum / Double(ended) : nil }
    }

    /// The window `callsInWindow` counts over: 5 minutes, the window of Cloudflare's budget.
    public static let window = 300.0

    /// Get calls.
    public private(set) var get = Counts()
    /// Set calls.
    public private(set) var set = Counts()
    /// When an operation last succeeded; nil if none has.
    public private(set) var lastSuccess: Double?
    /// The last failure's message, kept after later successes; nil if none failed.
    public private(set) var lastError: String?
    /// When that failure happened.
    public private(set) var lastErrorAt: Double?
    /// Operations that failed since the last success (0 when the store works).
    public private(set) var consecutiveFailures = 0
    /// When our record was last written successfully.
    public private(set) var lastWrite: Double?
    /// Successful writes of our record.
    public private(set) var writes = 0
    /// Publishes that needed no write here (the store already held the same endpoints).
    public private(set) var writesSkipped = 0
    /// Start times of the calls of the last `window` seconds.
    private var recent: [Double] = []

    /// Nothing yet.
    public init() {}

    /// The counts of `operation`.
    public subscript(_ operation: Operation) -> Counts {
        switch operation {
        case .get: self.get
        case .set: self.set
        }
    }

    /// Whether the last operation succeeded (or none has run yet).
    public var isHealthy: Bool { consecutiveFailures == 0 }

    /// Calls started, both operations.
    public var calls: Int { self.get.calls + self.set.calls }

    /// A call of `operation` started at `now`.
    public mutating func started(_ operation: Operation, at now: Double) {
        update(operation) { $0.calls += 1 }
        recent.removeAll { $0 <= now - Self.window }
        recent.append(now)
    }

    /// A call of `operation` ended at `now` after `latency` seconds, failed with `error` or not.
    public mutating func ended(_ operation: Operation, latency: Double, error: String?, at now: Double) {
        let latency = latency.isFinite ? max(0, latency) : 0
        update(operation) { counts in
            counts.ended += 1
            counts.latencySum += latency
            counts.latencyMax = max(counts.latencyMax, latency)
            counts.lastLatency = latency
            if error != nil { counts.failures += 1 }
        }
        if let error { failed(error, at: now) } else { succeeded(at: now) }
    }

    /// An operation failed at `now` without a call of its own (a write that waited too long
    /// behind the one in flight).
    public mutating func failed(_ error: String, at now: Double) {
        lastError = error
        lastErrorAt = now
        consecutiveFailures += 1
    }

    /// Our record was written at `now`.
    public mutating func wrote(at now: Double) {
        lastWrite = now
        writes += 1
    }

    /// A publish needed no write here.
    public mutating func skippedWrite() { writesSkipped += 1 }

    /// Calls started in the `window` seconds before `now`.
    public func callsInWindow(before now: Double) -> Int {
        recent.filter { $0 > now - Self.window }.count
    }

    /// Adds `other`'s calls to these (totals over the peers sharing a store): counts and
    /// latencies summed, the newest success and failure kept, the windows merged.
    public mutating func add(_ other: StoreAccount) {
        for operation in Operation.allCases {
            let theirs = other[operation]
            update(operation) { counts in
                counts.calls += theirs.calls
                counts.ended += theirs.ended
                counts.failures += theirs.failures
                counts.latencySum += theirs.latencySum
                counts.latencyMax = max(counts.latencyMax, theirs.latencyMax)
                if theirs.lastLatency != nil { counts.lastLatency = theirs.lastLatency }
            }
        }
        if let success = other.lastSuccess, success > (lastSuccess ?? -.infinity) { lastSuccess = success }
        if let at = other.lastErrorAt, at > (lastErrorAt ?? -.infinity) { (lastError, lastErrorAt) = (other.lastError, at) }
        consecutiveFailures = max(consecutiveFailures, other.consecutiveFailures)
        if let write = other.lastWrite, write > (lastWrite ?? -.infinity) { lastWrite = write }
        writes += other.writes
        writesSkipped += other.writesSkipped
        recent = (recent + other.recent).sorted()
    }

    private mutating func succeeded(at now: Double) {
        lastSuccess = now
        consecutiveFailures = 0
    }

    private mutating func update(_ operation: Operation, _ body: (inout Counts) -> Void) {
        switch operation {
        case .get: body(&self.get)
        case .set: body(&self.set)
        }
    }
}
