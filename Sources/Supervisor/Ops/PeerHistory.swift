import Stun
import SystemCalls

/// What happened to one peer, kept for status and metrics: since when it is in its state and
/// why it got there, the endpoints WireGuard had and where they came from, the mapping each STUN
/// server reported, rx progress, the repair being timed and the finished ones, and counters.
/// Pure: the runtime hands it every event and reading with the wall-clock time.
public struct PeerHistory: Sendable {
    /// One change of state and the event that caused it.
    public struct Transition: Equatable, Sendable {
        /// The state left.
        public var from: PeerStateMachine.State
        /// The state entered.
        public var to: PeerStateMachine.State
        /// The event, in words.
        public var reason: String
        /// Wall-clock time.
        public var at: Double
    }

    /// An endpoint WireGuard had, where it came from, and since when.
    public struct EndpointSeen: Equatable, Sendable {
        /// The endpoint.
        public var endpoint: Endpoint
        /// Its origin, judged when it first appeared.
        public var origin: EndpointOrigin
        /// Wall-clock time it was first seen.
        public var since: Double
    }

    /// The last mapping one STUN server reported.
    public struct MappingSeen: Equatable, Sendable {
        /// Our public endpoint as that server saw it.
        public var mapped: Endpoint
        /// The server.
        public var server: Endpoint
        /// Request → reply, seconds.
        public var rtt: Double
        /// Wall-clock time of the reply.
        public var at: Double
    }

    /// Wall-clock time the current state was entered.
    public private(set) var stateSince: Double
    /// The last change of state.
    public private(set) var lastTransition: Transition?
    /// The endpoint in the peer's last record read.
    public private(set) var recordEndpoint: Endpoint?
    /// The endpoint we last wrote to WireGuard, and when.
    public private(set) var written: (endpoint: Endpoint, at: Double)?
    /// WireGuard's endpoint for the peer now, and the one before.
    public private(set) var currentEndpoint: EndpointSeen?
    /// The endpoint before `currentEndpoint`.
    public private(set) var previousEndpoint: EndpointSeen?
    /// rx progress from WireGuard readings.
    public private(set) var rx = RxProgress()
    /// The last mapping per STUN server, in the order the servers first answered.
    public private(set) var mappings: [MappingSeen] = []
    /// The last finished repair.
    public private(set) var lastRestore: RestoreTiming?
    /// Every finished repair's duration.
    public private(set) var restores = RestoreHistogram()
    /// Failure signals received, by kind ("ping", "rx-stall", "network", …).
    public private(set) var probeFailures: [String: Int] = [:]
    private var clock = RestoreClock()
    private var initialEndpoint: Endpoint??

    /// A history that starts at `now` in `idle`.
    public init(now: Double) {
        stateSince = now
    }

    /// The kind of a signal, without details: the metrics label.
    public static func kind(_ signal: PathSignal) -> String {
        if case .network = signal { return "network" }
        return signal.description
    }

    /// Takes one event the machine handled, with the states before and after.
    public mutating func record(_ event: PeerStateMachine.Event, from: PeerStateMachine.State,
                                to: PeerStateMachine.State, at now: Double) {
        switch event {
        case .pathFailed(let signal):
            probeFailures[Self.kind(signal), default: 0] += 1
            clock.pathFailed(signal.description, at: now, lastGood: rx.lastAdvanceAt)
        case .discovered:
            clock.discovered(at: now)
        case .published:
            clock.published(at: now)
        case .remoteEndpoint(let endpoint, _):
            recordEndpoint = endpoint
            clock.remoteRead(at: now)
        case .configured:
            if case .configuring(let endpoint) = from {
                written = (endpoint, now)
                clock.configured(at: now)
            }
        case .pathRecovered:
            if let timing = clock.recovered(at: now) {
                lastRestore = timing
                restores.observe(timing.total)
            }
        default:
            break
        }
        if from != to {
            stateSince = now
            lastTransition = Transition(from: from, to: to, reason: Self.describe(event), at: now)
        }
    }

    /// Takes a reading of WireGuard's view of the peer (nil endpoint: none set).
    public mutating func observe(endpoint: Endpoint?, rxBytes: UInt64, lastHandshake: Double, at now: Double) {
        rx.note(rxBytes: rxBytes, lastHandshake: lastHandshake, at: now)
        if initialEndpoint == nil { initialEndpoint = .some(endpoint) }
        guard let endpoint, endpoint != currentEndpoint?.endpoint else { return }
        let origin = EndpointOrigin.derive(endpoint: endpoint, recordEndpoint: recordEndpoint,
                                           writtenEndpoint: written?.endpoint, initialEndpoint: initialEndpoint ?? nil,
                                           lastHandshake: lastHandshake)
        previousEndpoint = currentEndpoint
        currentEndpoint = EndpointSeen(endpoint: endpoint, origin: origin, since: now)
    }

    /// Keeps the mapping a STUN server reported.
    public mutating func noteMapping(_ mapping: StunMapping, at now: Double) {
        let seen = MappingSeen(mapped: mapping.mapped, server: mapping.server, rtt: mapping.rtt, at: now)
        if let index = mappings.firstIndex(where: { $0.server == mapping.server }) {
            mappings[index] = seen
        } else {
            mappings.append(seen)
        }
    }

    /// Whether WireGuard received something after the endpoint was last written, and that write
    /// came after `time`: the path we (re)wrote carries traffic.
    public func trafficAfterWrite(since time: Double) -> Bool {
        guard let written, written.at >= time else { return false }
        return rx.advanced(after: written.at)
    }

    /// An event in words, for "why is the peer in this state".
    public static func describe(_ event: PeerStateMachine.Event) -> String {
        switch event {
        case .start: return "started"
        case .discovered(let mapping): return "discovered \(mapping)"
        case .discoveryFailed(let why): return "discovery failed: \(why)"
        case .published: return "published"
        case .publishFailed(let why): return "publish failed: \(why)"
        case .remoteEndpoint(let endpoint, _): return "peer's record says \(endpoint)"
        case .remoteChanged: return "the peer's record changed"
        case .remoteMissing: return "no record from the peer"
        case .remoteRejected(let why): return "peer's record ignored: \(why)"
        case .remoteReadFailed(let why): return "reading the peer's record failed: \(why)"
        case .configured: return "endpoint set"
        case .configureFailed(let why): return "setting the endpoint failed: \(why)"
        case .pathFailed(let signal): return "path failed (\(signal))"
        case .pathRecovered: return "path recovered"
        case .handshakeCompleted: return "handshake completed"
        case .deviceReset(let what): return "WireGuard device reset (\(what))"
        case .timerFired(.retry): return "retry timer"
        case .timerFired(.refresh): return "refresh interval elapsed"
        case .initiate(let why): return "initiating: \(why)"
        case .stop: return "stopped"
        }
    }
}
