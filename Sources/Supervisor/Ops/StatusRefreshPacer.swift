/// How often the status (and metrics) file is written: every `shortest` seconds while writing it
/// costs little — a few hundred microseconds on a 10-peer router — and less often on a hub whose
/// file takes milliseconds to build, so that the refresh never takes more than `maximumDuty` of a
/// core (1,000 peers: ~35 ms a write, a third of the daemon's idle CPU at 10 s; issue #15's
/// budget). Never less often than `longest`, so `stunmeshd status` is never older than that (it
/// reads the interval from the file, `refresh_s`, to judge a file stale); SIGUSR1 writes at once.
/// Pure: the daemon reports each write's duration and asks for the next delay.
struct StatusRefreshPacer: Equatable {
    /// The interval while writing is cheap.
    static let shortest = 10.0
    /// The longest interval, whatever a write costs.
    static let longest = 60.0
    /// The largest share of a core the writes may take: 0.1 %.
    static let maximumDuty = 0.001

    private(set) var cost = CostEstimate()

    /// Notes that building and writing the files took `seconds`.
    mutating func noteWrite(seconds: Double) { cost.note(seconds: seconds) }

    /// The delay before the next write.
    var interval: Double { min(Self.longest, max(Self.shortest, cost.interval(duty: Self.maximumDuty))) }
}
