import Probes
import Stun
import SystemCalls

/// The health of every peer at one moment, as SIGUSR1, the status file, `stunmeshd status` and
/// the metrics show it. A plain value built by the daemon from its peers and a fresh WireGuard
/// reading; rendering it (JSON, text, metrics) is pure.
public struct HealthSnapshot: Sendable {
    /// stunmeshd's version.
    public var version: String
    /// The daemon's pid (`stunmeshd status` checks it still runs).
    public var pid: Int32
    /// Wall-clock time the daemon started.
    public var startedAt: Double
    /// Wall-clock time of this snapshot.
    public var takenAt: Double
    /// Seconds between two writes of the status file (a file much older is stale).
    public var refreshInterval: Double
    /// The config file the daemon runs with.
    public var configFile: String?
    /// `monitor.mode`.
    public var monitorMode: String
    /// One entry per managed peer, in config order.
    public var peers: [PeerHealth]

    /// A snapshot from its parts.
    public init(version: String, pid: Int32, startedAt: Double, takenAt: Double, refreshInterval: Double,
                configFile: String?, monitorMode: String, peers: [PeerHealth]) {
        self.version = version
        self.pid = pid
        self.startedAt = startedAt
        self.takenAt = takenAt
        self.refreshInterval = refreshInterval
        self.configFile = configFile
        self.monitorMode = monitorMode
        self.peers = peers
    }

    /// How many peers are up by WireGuard's own account.
    public var upCount: Int { peers.filter { $0.liveness(now: takenAt).up }.count }

    /// One line for systemd's STATUS=: "2/3 peers up; peer_c: waiting to retry (read remote)".
    public var summary: String {
        var text = "\(upCount)/\(peers.count) peers up"
        let down = peers.filter { !$0.liveness(now: takenAt).up }
        if !down.isEmpty {
            text += "; " + down.prefix(3).map { "\($0.name): \(StatusWords.state($0.state))" }.joined(separator: ", ")
            if down.count > 3 { text += ", …" }
        }
        return text
    }
}

/// The health of one peer: what the runtime knows and what WireGuard says.
public struct PeerHealth: Sendable {
    /// The interface name.
    public var interface: String
    /// The peer's name in config.
    public var name: String
    /// The peer's public key, base64 (public; never a private key).
    public var publicKey: String
    /// The state machine's state (what the daemon believes; not what "up" is judged on).
    public var state: PeerStateMachine.State
    /// The signal of the repair in progress, if any.
    public var repairing: PathSignal?
    /// The last signal that started a repair, and when.
    public var lastSignal: (signal: PathSignal, at: Double)?
    /// Transitions, endpoints, mappings, rx progress, restores, counters.
    public var history: PeerHistory
    /// WireGuard's view of the peer now; nil when it could not be read (see `wireGuardError`).
    public var wireGuard: WireGuardPeerState?
    /// Why WireGuard's view is missing.
    public var wireGuardError: String?
    /// The address pinged through the tunnel, if any.
    public var pingTarget: IPAddress?
    /// Pings sent and answered, since start and recently, and the last answer's round trip.
    public var ping: PingTally
    /// The NAT in front of the interface's WireGuard port, by family, as STUN judged it.
    public var nat: [IPFamily: NatBehaviour]
    /// What the NAT behaviours say about a direct path to the peer, when something stands in its way.
    public var directPath: DirectPathOutlook?
    /// Each of the peer's stores, in config order: the peer's account of its calls and the
    /// store's usage (requests, API budget).
    public var stores: [StoreHealth]
    /// The keepalive learner (event mode, once the interface's keys are known).
    public var keepalive: KeepaliveLearner?

    /// A peer's health from its parts.
    public init(interface: String, name: String, publicKey: String, state: PeerStateMachine.State,
                repairing: PathSignal?, lastSignal: (signal: PathSignal, at: Double)?, history: PeerHistory,
                wireGuard: WireGuardPeerState?, wireGuardError: String?, pingTarget: IPAddress?, ping: PingTally = PingTally(),
                nat: [IPFamily: NatBehaviour] = [:], directPath: DirectPathOutlook? = nil,
                stores: [StoreHealth], keepalive: KeepaliveLearner? = nil) {
        self.keepalive = keepalive
        self.interface = interface
        self.name = name
        self.publicKey = publicKey
        self.state = state
        self.repairing = repairing
        self.lastSignal = lastSignal
        self.history = history
        self.wireGuard = wireGuard
        self.wireGuardError = wireGuardError
        self.pingTarget = pingTarget
        self.ping = ping
        self.nat = nat
        self.directPath = directPath
        self.stores = stores
    }

    /// Whether the peer is up, and why (not), from WireGuard alone: a handshake younger than
    /// 180 s (REJECT_AFTER_TIME: older session keys are dead; with a keepalive longer than that,
    /// every keepalive needs a new handshake, so keepalive + 10 s) and, with persistent keepalive
    /// on, something received within keepalive plus a margin (the peer's keepalives or replies) —
    /// unless we lead a learned keepalive: then the peer stays silent on an idle flow
    /// (docs/keepalive.md) and the handshakes alone prove the path. The state machine's belief
    /// plays no part.
    public func liveness(now: Double) -> (up: Bool, reason: String) {
        guard let wg = wireGuard else { return (false, wireGuardError ?? "not configured on the interface") }
        guard wg.lastHandshake > 0 else { return (false, "no handshake yet") }
        let age = now - wg.lastHandshake
        guard age < max(Self.handshakeLimit, Double(wg.persistentKeepalive) + 10) else {
            return (false, "last handshake \(DurationText.age(age)) ago")
        }
        let rxAge = history.rx.lastAdvanceAt.map { now - $0 }
        let leads = keepalive.map { $0.leads && $0.fixedKeepalive == nil } ?? false
        if wg.persistentKeepalive > 0 && !leads {
            let limit = PathMonitor.stallLimit(keepalive: wg.persistentKeepalive)
            guard let rxAge, rxAge <= limit else {
                return (false, "nothing received for \(rxAge.map { DurationText.age($0) } ?? "ever")")
            }
        }
        let rxText = rxAge.map { ", received \(DurationText.age($0)) ago" } ?? ""
        return (true, "handshake \(DurationText.age(age)) ago\(rxText)")
    }

    /// Sessions older than this are rejected by WireGuard (REJECT_AFTER_TIME).
    public static let handshakeLimit = 180.0
}
