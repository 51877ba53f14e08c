/// A Prometheus-style cumulative histogram of restore durations (seconds), per peer: the
/// distribution an operator alerts on. Pure; the buckets are fixed.
public struct RestoreHistogram: Equatable, Sendable {
    /// Upper bounds of the finite buckets, seconds; +Inf is implied.
    public static let bounds: [Double] = [0.5, 1, 2, 5, 10, 30, 60]

    /// Observations ≤ each bound, cumulative, one per `bounds` entry.
    public private(set) var cumulativeCounts: [Int] = Array(repeating: 0, count: RestoreHistogram.bounds.count)
    /// Number of observations (the +Inf bucket).
    public private(set) var count = 0
    /// Sum of the observations.
    public private(set) var sum = 0.0

    /// Empty.
    public init() {}

    /// Adds one restore duration.
    public mutating func observe(_ seconds: Double) {
        for (index, bound) in Self.bounds.enumerated() where seconds <= bound { cumulativeCounts[index] += 1 }
        count += 1
        sum += seconds
    }
}
