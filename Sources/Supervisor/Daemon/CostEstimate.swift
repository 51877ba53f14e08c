/// A running estimate of how long one round of some periodic work takes (an exponentially
/// weighted mean of the rounds measured), for the pacers that keep such work within a share of a
/// core (`DevicePollPacer`, `StatusRefreshPacer`). Pure: the daemon measures, this remembers.
struct CostEstimate: Equatable {
    /// How much each new round's duration counts.
    static let weight = 0.2

    /// Seconds per round; nil before the first.
    private(set) var seconds: Double?

    /// Notes that a round took `seconds` (a negative or non-finite measurement is ignored).
    mutating func note(seconds round: Double) {
        guard round.isFinite, round >= 0 else { return }
        seconds = seconds.map { (1 - Self.weight) * $0 + Self.weight * round } ?? round
    }

    /// The shortest interval between rounds that keeps them within `duty` of a core.
    func interval(duty: Double) -> Double { (seconds ?? 0) / duty }
}
