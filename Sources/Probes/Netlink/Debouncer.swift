/// Waits for a burst of network changes to settle before the supervisor acts on it: bringing
/// an interface up produces a link, several address and several route messages within
/// milliseconds, and one re-STUN after them is enough. Each change pushes the deadline to
/// `quiet` seconds later, but never past `maximum` seconds after the burst began, so a flapping
/// link cannot postpone the reaction forever. Pure: times come from the caller's clock.
public struct Debouncer: Equatable, Sendable {
    /// Seconds without changes that end a burst.
    public let quiet: Double
    /// Seconds after a burst's first change by which it ends anyway.
    public let maximum: Double
    /// When the burst in progress ends, if one is.
    public private(set) var deadline: Double?
    private var burstStart: Double?

    /// A debouncer with no burst in progress.
    public init(quiet: Double, maximum: Double) {
        self.quiet = quiet
        self.maximum = max(quiet, maximum)
    }

    /// Notes a change at `now`. Returns true when it begins a burst: the caller arms a timer
    /// for `deadline`.
    public mutating func note(now: Double) -> Bool {
        let start = burstStart ?? now
        burstStart = start
        let begins = deadline == nil
        deadline = min(now + quiet, start + maximum)
        return begins
    }

    /// Called when the caller's timer fires at `now`. Returns true when the burst is over (act
    /// now; the debouncer is reset); false when later changes moved `deadline` (re-arm for it).
    public mutating func fire(now: Double) -> Bool {
        guard let deadline else { return false }
        guard now >= deadline else { return false }
        self.deadline = nil
        burstStart = nil
        return true
    }
}
