import SystemCalls

/// The decisions for one WireGuard peer, as a value type: an `Event` goes in, `Action`s come
/// out, and nothing else happens. The daemon performs the actions (STUN, store calls, WireGuard
/// writes, timers) and feeds their results back as events. So every transition is testable
/// without sockets or time, and docs/state-machine.md describes exactly this type.
public struct PeerStateMachine: Sendable {
    /// Where the peer is in discover → publish → await remote → configure → monitor.
    public enum State: Equatable, Sendable {
        /// Not started yet.
        case idle
        /// A STUN Binding request from WireGuard's port is in flight.
        case discovering
        /// Our encrypted record is being written to the store.
        case publishing
        /// The peer's record is being read from the store.
        case awaitingRemote
        /// This endpoint of the peer is being written to WireGuard.
        case configuring(Endpoint)
        /// The endpoint is set; the refresh timer is armed.
        case monitoring
        /// A step failed; the retry timer will start `step` again.
        case waitingToRetry(Step)
        /// Stopped for good; every later event is ignored.
        case stopped
    }

    /// A step that can fail and be retried.
    public enum Step: Equatable, Sendable {
        /// STUN discovery.
        case discover
        /// Writing our record.
        case publish
        /// Reading the peer's record.
        case readRemote
        /// Setting the endpoint in WireGuard.
        case configure
    }

    /// What happened, as reported by the daemon.
    public enum Event: Equatable, Sendable {
        /// The daemon starts managing this peer.
        case start
        /// STUN reported our public mapping for WireGuard's port.
        case discovered(Endpoint)
        /// No STUN server answered (or WireGuard could not be read); the reason is for the log.
        case discoveryFailed(String)
        /// Our record is in the store.
        case published
        /// The store refused or failed the write.
        case publishFailed(String)
        /// The peer's record was read, authenticated and decrypted; this is its endpoint.
        case remoteEndpoint(Endpoint)
        /// The store has no record for the peer yet.
        case remoteMissing
        /// A record was there but was corrupt, forged, or unusable; it is ignored.
        case remoteRejected(String)
        /// The store could not be read.
        case remoteReadFailed(String)
        /// WireGuard accepted the endpoint.
        case configured
        /// WireGuard refused or could not be reached.
        case configureFailed(String)
        /// A timer armed by `armTimer` fired.
        case timerFired(Timer)
        /// The daemon is shutting down.
        case stop
    }

    /// The two timers a peer owns.
    public enum Timer: Equatable, Sendable {
        /// Backoff before retrying a failed step.
        case retry
        /// The long fallback interval after which everything is refreshed.
        case refresh
    }

    /// What the daemon must do.
    public enum Action: Equatable, Sendable {
        /// Read WireGuard's listen port and fwmark, then STUN from that port.
        case discover
        /// Seal a record holding `mapping` for the peer and write it to the store.
        case publish(mapping: Endpoint)
        /// Read, authenticate and decrypt the peer's record.
        case readRemote
        /// Set the peer's endpoint (and persistent keepalive) in WireGuard, nothing else.
        case setEndpoint(Endpoint)
        /// (Re)arm a timer to fire after `seconds`.
        case armTimer(Timer, seconds: Double)
        /// Disarm a timer.
        case cancelTimer(Timer)
        /// Tell the operator something (the daemon adds the peer's name).
        case log(LogLevel, String)
    }

    /// Severity of a `log` action.
    public enum LogLevel: Equatable, Sendable {
        /// Routine progress.
        case info
        /// Something failed and will be retried, or input was ignored.
        case warning
    }

    /// The fallback refresh interval in seconds (config `refresh_interval`).
    public let refreshInterval: Double
    /// The first retry delay in seconds; it doubles on each consecutive failure.
    public let retryBase: Double
    /// The longest retry delay in seconds.
    public let retryCap: Double

    /// The current state.
    public private(set) var state: State = .idle
    /// Our public mapping from the last successful discovery.
    public private(set) var mapping: Endpoint?
    /// The endpoint we last wrote to WireGuard.
    public private(set) var configuredEndpoint: Endpoint?
    /// Consecutive failures of the current step (drives the backoff).
    public private(set) var consecutiveFailures = 0

    /// A machine in `.idle`.
    public init(refreshInterval: Double, retryBase: Double = 1, retryCap: Double = 60) {
        self.refreshInterval = refreshInterval
        self.retryBase = retryBase
        self.retryCap = retryCap
    }

    /// The delay before the next retry: `retryBase · 2^(failures-1)`, at most `retryCap` and
    /// never longer than the refresh interval.
    var retryDelay: Double {
        var delay = retryBase
        for _ in 1..<max(1, consecutiveFailures) where delay < retryCap { delay *= 2 }
        return min(delay, retryCap, refreshInterval)
    }

    /// Feeds one event in and returns what to do. Events that do not fit the current state (a
    /// late completion after `stop`, a duplicate timer) change nothing and return no action.
    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.stopped, _):
            return []
        case (_, .stop):
            state = .stopped
            return [.cancelTimer(.retry), .cancelTimer(.refresh)]

        case (.idle, .start):
            return enter(.discover)

        case (.discovering, .discovered(let endpoint)):
            mapping = endpoint
            consecutiveFailures = 0
            return enter(.publish)
        case (.discovering, .discoveryFailed(let reason)):
            return fail(.discover, reason: "discovery failed: \(reason)")

        case (.publishing, .published):
            consecutiveFailures = 0
            return enter(.readRemote)
        case (.publishing, .publishFailed(let reason)):
            return fail(.publish, reason: "publish failed: \(reason)")

        case (.awaitingRemote, .remoteEndpoint(let endpoint)):
            consecutiveFailures = 0
            if endpoint == configuredEndpoint {
                return [.log(.info, "remote endpoint unchanged \(endpoint)")] + enterMonitoring()
            }
            state = .configuring(endpoint)
            return [.log(.info, "remote endpoint \(endpoint)"), .setEndpoint(endpoint)]
        case (.awaitingRemote, .remoteMissing):
            return fail(.readRemote, reason: "no record from the peer yet")
        case (.awaitingRemote, .remoteRejected(let reason)):
            return fail(.readRemote, reason: "ignored the peer's record: \(reason)")
        case (.awaitingRemote, .remoteReadFailed(let reason)):
            return fail(.readRemote, reason: "reading the peer's record failed: \(reason)")

        case (.configuring(let endpoint), .configured):
            configuredEndpoint = endpoint
            consecutiveFailures = 0
            return enterMonitoring()
        case (.configuring, .configureFailed(let reason)):
            return fail(.configure, reason: "setting the endpoint failed: \(reason)")

        case (.waitingToRetry(let step), .timerFired(.retry)):
            return enter(step)
        case (.monitoring, .timerFired(.refresh)):
            return [.log(.info, "refresh interval elapsed")] + enter(.discover)

        default:
            return []
        }
    }

    private mutating func enter(_ step: Step) -> [Action] {
        switch step {
        case .discover:
            state = .discovering
            return [.discover]
        case .publish:
            guard let mapping else { return enter(.discover) }
            state = .publishing
            return [.publish(mapping: mapping)]
        case .readRemote:
            state = .awaitingRemote
            return [.readRemote]
        case .configure:
            // A failed configure retries the whole read: the record may have changed meanwhile.
            state = .awaitingRemote
            return [.readRemote]
        }
    }

    private mutating func enterMonitoring() -> [Action] {
        state = .monitoring
        return [.cancelTimer(.retry), .armTimer(.refresh, seconds: refreshInterval)]
    }

    private mutating func fail(_ step: Step, reason: String) -> [Action] {
        consecutiveFailures += 1
        state = .waitingToRetry(step)
        let delay = retryDelay
        return [.log(.warning, "\(reason); retry in \(delay)s"), .armTimer(.retry, seconds: delay)]
    }
}
