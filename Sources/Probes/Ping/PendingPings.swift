import SystemCalls

/// The echo requests a `Pinger` has sent and not yet settled, by sequence number: where each
/// went, when, until when it waits, and whom to tell. It matches replies (identifier, sequence
/// and source address must all fit) and finds the expired ones; it does no I/O.
struct PendingPings {
    /// One request in flight.
    struct Entry {
        /// Names the request to its owner.
        var token: PingToken
        /// The address the request went to; the reply must come from it.
        var target: IPAddress
        /// Loop time of sending, for the round-trip time.
        var sentAt: Double
        /// Loop time after which the request has timed out.
        var deadline: Double
        /// Told the outcome, once.
        var completion: (Result<Double, PingFailure>) -> Void
        /// Told the round trip of an answer that comes after the timeout (see `Pinger.ping`).
        var lateAnswer: ((Double) -> Void)? = nil
        /// The sequence number it was sent with (set by `insert`).
        var sequence: UInt16? = nil
    }

    /// The identifier every request of this table carries.
    let identifier: UInt16
    private var bySequence: [UInt16: Entry] = [:]

    /// An empty table for requests carrying `identifier`.
    init(identifier: UInt16) { self.identifier = identifier }

    /// How many requests are in flight.
    var count: Int { bySequence.count }

    /// Whether a request with this sequence number is in flight.
    func contains(sequence: UInt16) -> Bool { bySequence[sequence] != nil }

    /// Records a request sent with `sequence` (which must be free).
    mutating func insert(_ entry: Entry, sequence: UInt16) {
        var entry = entry
        entry.sequence = sequence
        bySequence[sequence] = entry
    }

    /// Removes and returns the request named by `token`, if it is in flight.
    mutating func remove(_ token: PingToken) -> Entry? {
        guard let sequence = bySequence.first(where: { $0.value.token == token })?.key else { return nil }
        return bySequence.removeValue(forKey: sequence)
    }

    /// Removes and returns the request `reply` answers, if it came from that request's
    /// target; nil (and nothing removed) for anyone else's reply.
    mutating func removeMatch(of reply: ICMPEcho, from source: IPAddress) -> Entry? {
        guard reply.identifier == identifier, let entry = bySequence[reply.sequence],
              entry.target == source else { return nil }
        return bySequence.removeValue(forKey: reply.sequence)
    }

    /// Removes and returns the request with the earliest deadline if that deadline is at or
    /// before `now`; nil when nothing has expired.
    mutating func removeEarliestExpired(now: Double) -> Entry? {
        guard let earliest = bySequence.min(by: { $0.value.deadline < $1.value.deadline }),
              // A timer set for exactly a deadline may see a `now` a rounding error short of it.
              earliest.value.deadline <= now + 1e-6 else { return nil }
        return bySequence.removeValue(forKey: earliest.key)
    }

    /// Removes and returns every request (closing the pinger).
    mutating func removeAll() -> [Entry] {
        defer { bySequence = [:] }
        return Array(bySequence.values)
    }

    /// The earliest deadline in flight, nil when none is.
    var nextDeadline: Double? { bySequence.values.map(\.deadline).min() }
}
