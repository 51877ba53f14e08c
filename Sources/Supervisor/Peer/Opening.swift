/// First contact with a peer (no WireGuard session yet): the rules that open the path through
/// both NATs and decide who sends WireGuard's handshake initiation, and when. Pure and clock-free
/// (every input carries its time), carried out by `PeerRuntime`; docs/first-contact.md gives the
/// reasoning.
///
/// **Why it exists.** WireGuard sends at most one handshake initiation per 5 s (REKEY_TIMEOUT) and
/// stamps it before sending, even when the send fails or the packet is dropped on the way; neither
/// UAPI nor netlink shows the stamp. An initiation that reaches the partner's NAT before the
/// partner has sent anything toward us is dropped (address- and port-dependent filtering), and
/// the stamp then blocks the next for 5 s. Traffic into the tunnel spends the stamp too, at
/// times we do not see. So an initiation must leave only once the path is known open both ways,
/// and from a side whose stamp is free.
///
/// **The punches.** Both sides punch (a `PunchMessage` from WireGuard's port) as soon as they
/// know the other's endpoint, every 0.2 s at first, then less often, until the partner says it
/// has seen one of ours. A punch that arrives proves the path open both ways: the partner's NAT
/// let it out toward us, and ours let it in (ours was opened by our own punches). The first
/// punch we see is answered at once with one that says **seen**, so the partner learns it too.
///
/// **Who initiates.** The initiator (the side whose public key sorts first, as everywhere in
/// stunmeshd) initiates when it first sees a punch, and its seen-punch leaves just before the
/// initiation. If that initiation does not arrive at the responder within `handoff` of the
/// initiator's first seen-punch, the initiator's stamp was spent (its own traffic): the responder
/// initiates. Both stamps spent (traffic on both sides): WireGuard's own retransmission, every
/// 5–5.33 s on each side, gets through at the first try after the path opened.
///
/// **A partner that never punches** (stunmesh-go): its WireGuard initiates on its own every 5 s
/// and our punches keep our NAT open for it; after `fallback` with no punch seen we initiate once
/// too. Not sooner: an initiation that does not complete makes WireGuard retry it every 5–5.33 s
/// for 90 s, each retry stamped, so an early fallback toward a partner that simply starts later
/// would spend our initiations for the next 90 s, as traffic does.
public struct Opening: Sendable {
    /// What to carry out.
    public enum Action: Equatable, Sendable {
        /// Send a punch to the partner's endpoint.
        case punch(seen: Bool)
        /// Make WireGuard initiate a handshake now (the keepalive 0 → n transition sends one).
        case initiate(Reason)
    }

    /// Why we initiate.
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        /// We initiate, and the partner's punch proved the path open.
        case pathOpen
        /// The initiator said it saw us, and its initiation did not follow.
        case initiatorSilent
        /// No punch from the partner in `fallback`: it may not punch at all.
        case noPunch

        public var description: String {
            switch self {
            case .pathOpen: "the partner's punch arrived: the path is open"
            case .initiatorSilent: "the initiator saw our punch but its initiation did not follow (its 5 s limit was spent)"
            case .noPunch: "no punch from the partner"
            }
        }
    }

    // MARK: The numbers (docs/first-contact.md)

    /// Punches this far apart at first...
    public static let fastInterval = 0.2
    /// ...for this long,
    public static let fastFor = 3.0
    /// then this far apart...
    public static let slowInterval = 1.0
    /// ...until this long after the start,
    public static let slowUntil = 30.0
    /// then this far apart while no session comes: under conntrack's 30 s "unreplied" timer, so
    /// our NAT stays open toward the partner for a partner that starts later...
    public static let idleInterval = 20.0
    /// ...until this long after the start. A partner that has not answered in 5 minutes is most
    /// likely gone (its record outlived it); 20 s punches would cost ~0.3 MB a day each, which on a
    /// metered link — or for a hub with hundreds of such peers — is not what a wait may cost.
    public static let idleFor = 300.0
    /// Then this far apart until `patientFor`,
    public static let patientInterval = 60.0
    /// ...
    public static let patientFor = 1800.0
    /// and this far apart after that (~20 kB a day). A partner that comes back republishes its
    /// record; a watched store makes the runtime start the opening over (fast punches) then.
    public static let rareInterval = 300.0
    /// Answers to the partner's punches no closer than this.
    public static let answerSpacing = 0.2
    /// A seen-punch is answered again at most this often (so two sides that have seen each
    /// other do not answer each other for ever).
    public static let seenAnswerSpacing = 1.0
    /// The responder waits this long after the initiator's first seen-punch for its initiation
    /// (both left together; only the path's jitter separates them).
    public static let handoff = 0.3
    /// No punch from the partner this long after the start: initiate once anyway.
    public static let fallback = 30.0
    /// The same, when we had a session with the partner within the last 180 s (our WireGuard was
    /// re-created under a running tunnel): the partner's WireGuard still holds its session, so its
    /// daemon is not opening and will not punch, while its NAT is still open toward us (the old
    /// session's traffic). Initiating is then what the old session's partner waits for. (Two
    /// sides both opening see each other's punches well within this.)
    public static let fallbackAfterASession = 1.5

    /// Whether we initiate (our public key sorts first).
    public let weInitiate: Bool
    /// When the opening started.
    public let started: Double
    /// How long to wait for a punch before initiating anyway.
    public let fallbackAfter: Double
    /// When we first saw a punch of the partner's.
    public private(set) var partnerSeenAt: Double?
    /// The partner said it has seen our punch: our punches may stop.
    public private(set) var partnerSawUs = false
    /// When we asked WireGuard to initiate because the path is open, and why.
    public private(set) var initiated: (at: Double, reason: Reason)?
    /// When we initiated for want of any punch (`fallback`).
    public private(set) var fellBackAt: Double?
    /// When an initiation from the partner came in.
    public private(set) var initiationHeardAt: Double?
    /// A session came up: nothing more to do.
    public private(set) var isFinished = false

    private var lastPunchAt: Double
    private var lastAnswerAt = -Double.infinity
    private var lastSeenSentAt = -Double.infinity
    private var handoffAt: Double?
    private var handoffArmed = false

    /// An opening that starts at `now`; carry out `startActions` first. `hadSession`: we had a
    /// session with the partner within the last 180 s (`fallbackAfterASession`).
    public init(weInitiate: Bool, now: Double, hadSession: Bool = false) {
        self.weInitiate = weInitiate
        started = now
        fallbackAfter = hadSession ? Self.fallbackAfterASession : Self.fallback
        lastPunchAt = now
    }

    /// The first punch.
    public var startActions: [Action] { [.punch(seen: false)] }

    /// When `tick` next has something to do; nil when nothing is scheduled.
    public var nextWake: Double? {
        guard !isFinished else { return nil }
        var wake: [Double] = []
        if !partnerSawUs { wake.append(lastPunchAt + interval(at: lastPunchAt)) }
        if let handoffAt { wake.append(handoffAt) }
        if partnerSeenAt == nil, initiated == nil, fellBackAt == nil { wake.append(started + fallbackAfter) }
        return wake.min()
    }

    /// Time passed: scheduled punches, the responder's hand-off, the fallback.
    public mutating func tick(now: Double) -> [Action] {
        guard !isFinished else { return [] }
        var actions: [Action] = []
        if let at = handoffAt, now >= at {
            handoffAt = nil
            if initiationHeardAt == nil, initiated == nil { actions.append(initiate(.initiatorSilent, now: now)) }
        }
        if partnerSeenAt == nil, initiated == nil, fellBackAt == nil, now >= started + fallbackAfter {
            fellBackAt = now
            actions.append(.initiate(.noPunch))
        }
        if !partnerSawUs, now >= lastPunchAt + interval(at: lastPunchAt) - 0.001 {
            actions.insert(punch(seen: partnerSeenAt != nil, now: now), at: 0)
        }
        return actions
    }

    /// A punch of the partner's came in (its tag verified).
    public mutating func heardPunch(seen: Bool, now: Double) -> [Action] {
        guard !isFinished else { return [] }
        var actions: [Action] = []
        let first = partnerSeenAt == nil
        if first { partnerSeenAt = now }
        if seen { partnerSawUs = true }
        // Tell the partner we see it: at once the first time, then spaced; a partner that
        // already says it sees us is answered rarely (it only needs to hear it once).
        let spacing = seen ? Self.seenAnswerSpacing : Self.answerSpacing
        if first || now - (seen ? lastSeenSentAt : lastAnswerAt) >= spacing {
            lastAnswerAt = now
            actions.append(punch(seen: true, now: now))
        }
        if weInitiate {
            if first, initiated == nil, initiationHeardAt == nil { actions.append(initiate(.pathOpen, now: now)) }
        } else if seen, !handoffArmed, initiated == nil, initiationHeardAt == nil {
            handoffArmed = true
            handoffAt = now + Self.handoff
        }
        return actions
    }

    /// A WireGuard handshake initiation from the partner's endpoint came in.
    public mutating func heardInitiation(now: Double) {
        if initiationHeardAt == nil { initiationHeardAt = now }
        handoffAt = nil
    }

    /// A handshake completed: the opening is over.
    public mutating func handshakeCompleted() {
        isFinished = true
        handoffAt = nil
    }

    // MARK: Rules

    private func interval(at time: Double) -> Double {
        let age = time - started
        if age < Self.fastFor { return Self.fastInterval }
        if age < Self.slowUntil { return Self.slowInterval }
        if age < Self.idleFor { return Self.idleInterval }
        if age < Self.patientFor { return Self.patientInterval }
        return Self.rareInterval
    }

    private mutating func punch(seen: Bool, now: Double) -> Action {
        lastPunchAt = now
        if seen { lastSeenSentAt = now }
        return .punch(seen: seen)
    }

    private mutating func initiate(_ reason: Reason, now: Double) -> Action {
        initiated = (now, reason)
        handoffAt = nil
        return .initiate(reason)
    }
}
