import EventLoop
import Probes
import SystemCalls

/// One store as one peer uses it: runs that peer's gets and sets on the store with a timeout of
/// its own, so a hung store answers "timed out" instead of never; joins a get to the same key
/// that is already in flight instead of piling up another; keeps sets to one key in order (a set
/// waits for the one in flight, and only the newest waiting one is sent); remembers the last
/// record written, for the write policy; republishes on a timer when values expire; and keeps
/// the peer's account of the store (`StoreAccount`): every call is counted here, once.
final class StoreLane {
    /// The plugin's name under `plugins:`.
    let plugin: String
    /// The store.
    let store: Store
    /// When a publish writes.
    let policy: StoreWritePolicy
    /// The store's read pacer, shared by every peer reading it (nil: reads go out at once).
    let pacer: SharedReadPacer?
    /// Seconds after which an operation counts as failed, whatever the store does later.
    let timeout: Double
    /// Gives the newest record to republish: key, sealed value, endpoints content (expiring
    /// stores only); nil when there is nothing to republish.
    var reseal: (() -> (key: String, value: String, content: String)?)?

    private let loop: EventLoop
    private let logger: Logger
    private let wallClock: () -> Double
    private var gets: [String: PendingGet] = [:]
    /// Keys with a set in flight, with the timer that ends its wait and when it started.
    private var setsInFlight: [String: (timer: TimerWatcher, startedAt: Double)] = [:]
    /// The newest set waiting for the one in flight, per key, with the timer that ends its wait.
    private var queuedSets: [String: QueuedSet] = [:]
    private var lastWrite: (key: String, content: String, at: Double)?
    /// What this peer's calls to the store did.
    private(set) var account = StoreAccount()
    private lazy var republishTimer = TimerWatcher(loop: loop) { [unowned self] in self.republish() }
    private var stopped = false

    private struct QueuedSet {
        let value: String, content: String
        let completion: (Result<Void, StoreError>) -> Void
        let timer: TimerWatcher
    }

    private final class PendingGet {
        var waiters: [(Result<String?, StoreError>) -> Void] = []
        var timer: TimerWatcher?
        var startedAt = 0.0
        /// Sent to the store (not waiting on the pacer any more).
        var started = false
    }

    /// A lane for `store` (named `plugin` in config) with its write policy and timeout.
    init(plugin: String, store: Store, policy: StoreWritePolicy, timeout: Double, loop: EventLoop, logger: Logger,
         wallClock: @escaping () -> Double, pacer: SharedReadPacer? = nil) {
        self.plugin = plugin
        self.store = store
        self.pacer = pacer
        self.policy = policy
        self.timeout = timeout
        self.loop = loop
        self.logger = logger
        self.wallClock = wallClock
    }

    /// The store's health now: this peer's account and the store's own usage.
    var currentHealth: StoreHealth {
        var health = StoreHealth(plugin: plugin, store: store.name, account: account, usage: store.usage)
        if let pacer = pacer?.pacer {
            health.pacing = ReadPacing(budget: pacer.budget, tokens: pacer.tokens(now: loop.now), delayed: pacer.delayed,
                                       delaySum: pacer.delaySum)
        }
        return health
    }

    /// Whether a publish of endpoints `content` under `key` must write to this store now.
    func mustWrite(key: String, content: String) -> Bool {
        let last = lastWrite.flatMap { $0.key == key ? (content: $0.content, at: $0.at) : nil }
        return policy.mustWrite(content: content, lastWrite: last, now: loop.now)
    }

    /// Counts a publish that needed no write here.
    func noteSkipped() { account.skippedWrite() }

    /// Reads `key`; answers within `timeout` seconds of the call going out. A get of the same key
    /// already in flight (or waiting for the pacer) is joined, not repeated. The store's pacer
    /// (shared by every peer reading the store) may make the call wait for its budget first.
    func get(key: String, urgent: Bool = false, completion: @escaping (Result<String?, StoreError>) -> Void) {
        if let pending = gets[key] {
            pending.waiters.append(completion)
            // An urgent read joining a paced one: it goes now if the reserve allows.
            if urgent, !pending.started, pacer?.goAhead(now: loop.now) == true {
                startGet(key, pending)
            }
            return
        }
        let pending = PendingGet()
        pending.waiters = [completion]
        gets[key] = pending
        let wait = pacer?.delay(now: loop.now, urgent: urgent) ?? 0
        guard wait > 0 else { return startGet(key, pending) }
        logger.debug("store read paced", metadata: ["store": "\(plugin)", "wait_ms": "\(Int(wait * 1000))"])
        let timer = TimerWatcher(loop: loop) { [weak self, weak pending] in
            guard let self, let pending, self.gets[key] === pending else { return }
            self.startGet(key, pending)
        }
        pending.timer = timer
        timer.start(after: wait)
    }

    private func startGet(_ key: String, _ pending: PendingGet) {
        pending.started = true
        pending.timer?.stop()
        pending.startedAt = loop.now
        let timer = TimerWatcher(loop: loop) { [weak self, weak pending] in
            guard let self, let pending else { return }
            self.finishGet(key, pending, .failure(StoreError("\(self.store.name): no answer in \(DurationText.span(self.timeout))")))
        }
        pending.timer = timer
        timer.start(after: timeout)
        account.started(.get, at: wallClock())
        store.get(key: key) { [weak self, weak pending] result in
            guard let self, let pending else { return }
            self.finishGet(key, pending, result)
        }
    }

    private func finishGet(_ key: String, _ pending: PendingGet, _ result: Result<String?, StoreError>) {
        guard gets[key] === pending else { return }  // already answered (timed out, or stopped)
        gets[key] = nil
        pending.timer?.stop()
        pending.timer = nil
        note(result.map { _ in () }, .get, startedAt: pending.startedAt)
        if case .success(let value) = result { pacer?.noteRead(key: key, found: value != nil) }
        for waiter in pending.waiters { waiter(result) }
    }

    /// Writes sealed `value` (endpoints `content`) under `key`; answers within `timeout` seconds.
    /// While a set of that key is in flight, this one waits (so an older value never lands after a
    /// newer one); a newer one replaces it while it waits (the replaced one fails as superseded).
    func set(key: String, value: String, content: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard !stopped else { return }
        if setsInFlight[key] != nil {
            if let replaced = queuedSets.removeValue(forKey: key) {
                replaced.timer.stop()
                replaced.completion(.failure(StoreError("\(store.name): superseded by a newer record")))
            }
            let timer = TimerWatcher(loop: loop) { [weak self] in
                guard let self, let waiting = self.queuedSets.removeValue(forKey: key) else { return }
                self.note(.failure(StoreError("\(self.store.name): no answer in \(DurationText.span(self.timeout)) "
                    + "(the write before it is still running)")), .set, startedAt: nil)
                waiting.completion(.failure(StoreError("\(self.store.name): the write before it is still running")))
            }
            timer.start(after: timeout)
            queuedSets[key] = QueuedSet(value: value, content: content, completion: completion, timer: timer)
            return
        }
        let timer = TimerWatcher(loop: loop) { [weak self] in
            guard let self else { return }
            self.finishSet(key: key, content: content, completion: completion,
                           result: .failure(StoreError("\(self.store.name): no answer in \(DurationText.span(self.timeout))")))
        }
        setsInFlight[key] = (timer, loop.now)
        timer.start(after: timeout)
        account.started(.set, at: wallClock())
        store.set(key: key, value: value) { [weak self, weak timer] result in
            guard let self, let timer, self.setsInFlight[key]?.timer === timer else { return }  // timed out already
            self.finishSet(key: key, content: content, completion: completion, result: result)
        }
    }

    private func finishSet(key: String, content: String, completion: (Result<Void, StoreError>) -> Void,
                           result: Result<Void, StoreError>) {
        let inFlight = setsInFlight.removeValue(forKey: key)
        inFlight?.timer.stop()
        note(result, .set, startedAt: inFlight?.startedAt)
        if case .success = result {
            lastWrite = (key, content, loop.now)
            account.wrote(at: wallClock())
            if let every = policy.republishInterval, !stopped { republishTimer.start(after: every) }
        } else if let every = policy.republishInterval, !stopped {
            // Our value there will expire, or is not there at all: try again soon, even when
            // another store took this publish (the machine then has no reason to publish again).
            republishTimer.start(after: min(30, every / 4))
        }
        completion(result)
        if let next = queuedSets.removeValue(forKey: key), !stopped {
            next.timer.stop()
            set(key: key, value: next.value, content: next.content, completion: next.completion)
        }
    }

    /// The expiring store's timer: write the newest record again.
    private func republish() {
        guard !stopped, let record = reseal?() else { return }
        logger.debug("republishing before the store's values expire", metadata: ["store": "\(plugin)"])
        set(key: record.key, value: record.value, content: record.content) { _ in }
    }

    /// Records an operation's outcome in the account — a call that ended (`startedAt`: when it
    /// started, loop time), or a failure without a call of its own (nil) — logging a store going
    /// bad once per episode (and its recovery), not every failure.
    private func note(_ result: Result<Void, StoreError>, _ operation: StoreAccount.Operation, startedAt: Double?) {
        let now = wallClock()
        let failuresBefore = account.consecutiveFailures
        let error: String?
        switch result {
        case .success: error = nil
        case .failure(let failure): error = failure.message
        }
        if let startedAt {
            account.ended(operation, latency: loop.now - startedAt, error: error, at: now)
        } else if let error {
            account.failed(error, at: now)
        }
        switch (error, failuresBefore) {
        case (nil, 0): break
        case (nil, let failures):
            logger.info("store works again", metadata: ["store": "\(plugin)", "failures": "\(failures)"])
        case (let error?, 0):
            logger.warning("store \(operation.rawValue) failed: \(error)", metadata: ["store": "\(plugin)"])
        case (let error?, _):
            logger.debug("store \(operation.rawValue) failed again: \(error)", metadata: ["store": "\(plugin)"])
        }
    }

    /// Stops the republish timer and drops every pending answer.
    func stop() {
        stopped = true
        republishTimer.stop()
        for pending in gets.values {
            pending.timer?.stop()
            pending.timer = nil
        }
        gets = [:]
        for inFlight in setsInFlight.values { inFlight.timer.stop() }
        setsInFlight = [:]
        for waiting in queuedSets.values { waiting.timer.stop() }
        queuedSets = [:]
    }
}
