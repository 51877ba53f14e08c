import Probes
import SystemCalls

/// Counts of one store's calls as one peer made them: the "store health" of status and the
/// store counters of the metrics. Pure; the wrapper below feeds it.
public struct StoreStats: Equatable, Sendable {
    /// Calls started, by operation ("get", "set").
    public private(set) var calls: [String: Int] = [:]
    /// Calls that failed, by operation.
    public private(set) var errors: [String: Int] = [:]
    /// Wall-clock time of the last success.
    public private(set) var lastSuccess: Double?
    /// Wall-clock time and text of the last failure.
    public private(set) var lastFailure: (at: Double, error: String)?
    /// Start times of the calls of the last `budgetWindow` seconds (API budgets such as
    /// Cloudflare's 1200 calls per 5 minutes are counted over such a window).
    private var recent: [Double] = []

    /// The window `callsInWindow` counts over: 5 minutes, Cloudflare's budget window.
    public static let budgetWindow = 300.0

    /// No calls yet.
    public init() {}

    /// A call of `operation` started at `now`.
    public mutating func started(_ operation: String, at now: Double) {
        calls[operation, default: 0] += 1
        recent.removeAll { $0 <= now - Self.budgetWindow }
        recent.append(now)
    }

    /// A call of `operation` finished at `now`, with `error` if it failed.
    public mutating func finished(_ operation: String, error: String?, at now: Double) {
        if let error {
            errors[operation, default: 0] += 1
            lastFailure = (now, error)
        } else {
            lastSuccess = now
        }
    }

    /// Calls started in the budget window before `now`.
    public func callsInWindow(before now: Double) -> Int {
        recent.filter { $0 > now - Self.budgetWindow }.count
    }

    /// Equal counts.
    public static func == (lhs: StoreStats, rhs: StoreStats) -> Bool {
        lhs.calls == rhs.calls && lhs.errors == rhs.errors && lhs.lastSuccess == rhs.lastSuccess
            && lhs.lastFailure?.at == rhs.lastFailure?.at && lhs.lastFailure?.error == rhs.lastFailure?.error
            && lhs.recent == rhs.recent
    }
}

/// A store that passes every call to the real one and counts it in `stats`: each peer wraps its
/// store in one, so status shows how the store is doing for that peer without the stores
/// knowing about status.
final class MeteredStore: Store {
    /// The store doing the work (shared by the peers that name the same plugin).
    let base: Store
    /// What the calls did.
    private(set) var stats = StoreStats()

    init(_ base: Store) {
        self.base = base
    }

    var name: String { base.name }

    func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        stats.started("get", at: WallClock.now())
        base.get(key: key) { [weak self] result in
            if case .failure(let error) = result {
                self?.stats.finished("get", error: error.message, at: WallClock.now())
            } else {
                self?.stats.finished("get", error: nil, at: WallClock.now())
            }
            completion(result)
        }
    }

    func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        stats.started("set", at: WallClock.now())
        base.set(key: key, value: value) { [weak self] result in
            if case .failure(let error) = result {
                self?.stats.finished("set", error: error.message, at: WallClock.now())
            } else {
                self?.stats.finished("set", error: nil, at: WallClock.now())
            }
            completion(result)
        }
    }
}
