/// Decides when a read of one store may go out: the one pacer every store read passes through
/// (`StoreLane.get`), one per store, shared by every peer that reads the store. A token bucket:
/// `burst` reads at once, then `perSecond` on average; a read that finds no token waits until
/// one is there (it is never dropped). The budget comes from the store's cost class and, for a
/// metered API, from this daemon's share of the account's budget — so a flaky link that makes
/// every peer repair at once cannot take more than the budget, whatever the repair logic asks:
/// budgets beat latency targets. Pure and clock-free: every call carries its time.
public struct StoreReadPacer: Equatable, Sendable {
    /// A budget: `burst` reads at once, `perSecond` on average.
    public struct Budget: Equatable, Sendable {
        /// Reads that may go out at once.
        public var burst: Double
        /// Reads per second in the long run.
        public var perSecond: Double

        /// A budget from its parts.
        public init(burst: Double, perSecond: Double) {
            self.burst = max(1, burst)
            self.perSecond = max(1e-6, perSecond)
        }

        /// Reads per minute in the long run (for status).
        public var perMinute: Double { perSecond * 60 }
    }

    /// The budget.
    public let budget: Budget
    private var tokens: Double
    /// The reserve urgent reads go ahead from (`delay(now:urgent:)`).
    private var urgentTokens: Double
    /// Urgent reads that went ahead of the queue (for status and tests).
    public private(set) var urgentAhead = 0
    private var lastRefill: Double?
    /// Reads that had to wait, and the seconds they waited in all (for status).
    public private(set) var delayed = 0
    /// See `delayed`.
    public private(set) var delaySum = 0.0

    /// A full bucket.
    public init(budget: Budget) {
        self.budget = budget
        self.tokens = budget.burst
        self.urgentTokens = Self.urgentBurst(budget)
    }

    /// The urgent reserve's size: a quarter of the burst (at least one read).
    static func urgentBurst(_ budget: Budget) -> Double { max(1, (budget.burst / 4).rounded(.down)) }
    /// The urgent reserve refills at a tenth of the budget's rate.
    public static let urgentShare = 0.1

    /// A read that a change notification or a repair asks for (the partner's record is known, or
    /// needed, to have changed) at `now`: it goes out at once, ahead of the routine reads queued
    /// before it (a thousand peers' first reads at start, missing-record polls), when the urgent
    /// reserve has a token — a quarter of the burst, refilled at a tenth of the rate. It still
    /// takes its token from the bucket, so the reads queued after it wait that much longer; those
    /// queued before it keep their times, so over any window the store sees at most the budget
    /// plus the reserve's share (a tenth more, and a quarter burst). Without a reserve token it
    /// queues like any other read.
    public mutating func delay(now: Double, urgent: Bool) -> Double {
        refill(now: now)
        guard urgent, urgentTokens >= 1 else { return delay(now: now) }
        urgentTokens -= 1
        tokens -= 1
        urgentAhead += 1
        return 0
    }

    /// A read wants to go out at `now`: 0 when it may go at once, else the seconds it must wait
    /// (its token is reserved: the next read waits longer).
    public mutating func delay(now: Double) -> Double {
        refill(now: now)
        tokens -= 1
        guard tokens < 0 else { return 0 }
        let wait = -tokens / budget.perSecond
        delayed += 1
        delaySum += wait
        return wait
    }

    /// Tokens available at `now` (negative: reads are queued).
    public mutating func available(now: Double) -> Double {
        refill(now: now)
        return tokens
    }

    /// Tokens at `now` without taking one (for status).
    public func tokens(now: Double) -> Double {
        var copy = self
        return copy.available(now: now)
    }

    /// The shortest wait between two reads for a partner that has not published yet.
    public static let missingFloor = 2.0
    /// The wait between two reads of a missing record from a store whose free watch will say when
    /// it appears (the file store): only a safety net, never more often than this (the budget's share
    /// may ask for less: with 1,000 waiting peers, every 200 s). Ten waiting peers then read a
    /// record every 6 s between them, not five a second.
    public static let watchedMissingInterval = 60.0
    /// The share of the read budget that peers waiting for a missing record may use together (the
    /// rest stays for repairs and refreshes).
    public static let missingShare = 0.5

    /// How often a peer whose partner's record is missing may read this store again, when
    /// `waiting` peers of this daemon wait on it: they share half the budget, and never more
    /// often than every 2 s. A partner that starts later is seen within this interval (or at
    /// once through a store that notifies changes); and it never grows past it (no unbounded
    /// backoff). File store: 2 s up to 10 waiting peers; OpenDHT: 6 s for one, 60 s for ten;
    /// Cloudflare (a tenth of the account's 1,200 calls / 5 min): 5 s for one.
    public static func missingPollInterval(budget: Budget, waiting: Int) -> Double {
        max(missingFloor, Double(max(1, waiting)) / (budget.perSecond * missingShare))
    }

    /// A read already queued (its bucket token reserved) became urgent: true when the urgent
    /// reserve lets it go now (the reserve's token is taken), false when it keeps its place.
    public mutating func goAhead(now: Double) -> Bool {
        refill(now: now)
        guard urgentTokens >= 1 else { return false }
        urgentTokens -= 1
        urgentAhead += 1
        return true
    }

    private mutating func refill(now: Double) {
        if let lastRefill, now > lastRefill {
            tokens = min(budget.burst, tokens + (now - lastRefill) * budget.perSecond)
            urgentTokens = min(Self.urgentBurst(budget), urgentTokens + (now - lastRefill) * budget.perSecond * Self.urgentShare)
        }
        if lastRefill == nil || now > lastRefill! { lastRefill = now }
    }
}

/// One store's pacer, shared by the lanes of every peer that reads the store (a reference around
/// the value type; the runtime only carries its decisions out).
final class SharedReadPacer {
    /// The decisions.
    var pacer: StoreReadPacer

    /// The store keys whose last read found no record (peers waiting for a partner).
    private(set) var missing: Set<String> = []

    init(budget: StoreReadPacer.Budget) { pacer = StoreReadPacer(budget: budget) }

    /// A read of `key` found a record, or not.
    func noteRead(key: String, found: Bool) {
        if found { missing.remove(key) } else { missing.insert(key) }
    }

    /// See `StoreReadPacer.missingPollInterval`.
    var missingPollInterval: Double {
        StoreReadPacer.missingPollInterval(budget: pacer.budget, waiting: missing.count)
    }

    /// See `StoreReadPacer.delay`.
    func delay(now: Double, urgent: Bool = false) -> Double { pacer.delay(now: now, urgent: urgent) }

    /// See `StoreReadPacer.goAhead`.
    func goAhead(now: Double) -> Bool { pacer.goAhead(now: now) }
}
