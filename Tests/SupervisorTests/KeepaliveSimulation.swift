import Supervisor

/// Two sides of an idle tunnel, each with a `KeepaliveLearner`, behind NATs whose idle entries
/// live `lifetime` seconds (conntrack: any packet either way refreshes an entry; a packet that
/// finds the receiving side's entry expired is dropped; an outbound packet re-makes the sender's
/// entry with the same port). WireGuard's persistent keepalive as the kernel and wireguard-go
/// run it: the timer is re-armed with the current interval on every authenticated packet sent or
/// received; a new interval takes effect at the next re-arm, except 0 → n, which sends at once.
/// In-tunnel probes are answered at once when they get through. Time steps of 0.1 s; each side
/// reads WireGuard every second (B half a second after A).
struct KeepaliveSimulation {
    var lifetimeA: Double
    var lifetimeB: Double
    /// A partner that is not a learner (stunmesh-go): B's keepalive fixed at this, B not learning.
    var fixedB: Int?
    /// Whether a knock reaches the partner (a store it watches): it punches `knockDelay` later.
    var knocksArrive = true
    var knockDelay = 1.0

    struct Side {
        var learner: KeepaliveLearner
        var keepalive = 25
        var deadline = 25.0
        var rx: UInt64 = 1000
        var tx: UInt64 = 1000
        var natRefreshed = 0.0
        /// WireGuard's passive keepalive: due 10 s after data came in with nothing sent since.
        var passiveDue = Double.infinity
    }

    /// What happened: packets dropped by an expired entry outside a test (after `settled`), the
    /// longest gap between packets after `settled`, keepalives sent after `settled`, the learners.
    struct Outcome {
        var drops = 0
        var testDrops = 0
        var longestGap = 0.0
        var packets = 0
        var a: KeepaliveLearner
        var b: KeepaliveLearner
        var keepaliveA: Int
        var keepaliveB: Int
        /// The longest time, after `settled`, that B's NAT was closed toward A: A's traffic was
        /// lost for that long (a test outlasting B's NAT, until B sent or punched).
        var longestClosedTowardB = 0.0
        /// All such time together.
        var closedTowardB = 0.0
        /// Knocks A sent (tests that found B's NAT closed).
        var knocks = 0
    }

    func run(seconds: Double, settled: Double) -> Outcome {
        var sides = [Side(learner: KeepaliveLearner(fixedKeepalive: nil, leads: true)),
                     Side(learner: KeepaliveLearner(fixedKeepalive: fixedB, leads: false))]
        if let fixedB { sides[1].keepalive = fixedB; sides[1].deadline = Double(fixedB) }
        let lifetimes = [lifetimeA, lifetimeB]
        var outcome = Outcome(a: sides[0].learner, b: sides[1].learner, keepaliveA: 0, keepaliveB: 0)
        var lastPacket = 0.0
        var probing = [false, false]
        /// Probes due to go out, per side.
        var pendingProbes: [[Double]] = [[], []]
        /// Lost probes' timeouts, per side.
        var lostAt: [[Double]] = [[], []]
        /// Punches due, per side (a knock read from the store).
        var punchesAt: [[Double]] = [[], []]
        var closedSince: Double?

        /// X punches toward Y: a raw packet from WireGuard's port. It re-makes X's NAT entry and,
        /// when Y's is open, refreshes that one; neither WireGuard sees it.
        func punch(_ x: Int, at t: Double) {
            let y = 1 - x
            sides[x].natRefreshed = t
            if t - sides[y].natRefreshed < lifetimes[y] { sides[y].natRefreshed = t }
        }

        /// X sends `bytes`; true when it got through (and, for a probe, the answer came back).
        func send(_ x: Int, _ bytes: UInt64, probe: Bool, at t: Double) -> Bool {
            let y = 1 - x
            sides[x].passiveDue = .infinity
            sides[x].tx += bytes
            sides[x].natRefreshed = t
            sides[x].deadline = sides[x].keepalive > 0 ? t + Double(sides[x].keepalive) : .infinity
            if t >= settled { outcome.longestGap = max(outcome.longestGap, t - lastPacket); outcome.packets += 1 }
            lastPacket = t
            guard t - sides[y].natRefreshed < lifetimes[y] else {
                if t >= settled && !probing[x] { outcome.drops += 1 }
                if probing[x] { outcome.testDrops += 1 }
                return false
            }
            sides[y].natRefreshed = t
            sides[y].rx += bytes
            sides[y].deadline = sides[y].keepalive > 0 ? t + Double(sides[y].keepalive) : .infinity
            if probe {
                // The echo reply: data for the prober, which then owes a passive keepalive.
                let answered = send(y, bytes, probe: false, at: t)
                if answered { sides[x].passiveDue = t + KeepaliveLearner.passiveKeepalive }
                return answered
            }
            return true
        }
        func carryOut(_ x: Int, _ actions: [KeepaliveLearner.Action], at t: Double) {
            if debugSim, !actions.isEmpty { print("t=\(t) \(x == 0 ? "A" : "B") \(actions) phase \(sides[x].learner.phase) p=\(sides[x].learner.passive ?? -1) pr=\(sides[x].learner.probed ?? -1) ref=\(sides[x].learner.refuted ?? -1) rh=\(sides[x].learner.rhythm ?? -1)") }
            for action in actions {
                switch action {
                case .setKeepalive(let k):
                    let old = sides[x].keepalive
                    sides[x].keepalive = k
                    if old == 0 && k > 0 { _ = send(x, 32, probe: false, at: t) }
                case .kick(let k):
                    sides[x].keepalive = k
                    _ = send(x, 32, probe: false, at: t)
                case .probe(let count, let spacing, let timeout):
                    for i in 0..<count { pendingProbes[x].append(t + Double(i) * spacing); _ = timeout }
                case .askPartnerToSend:
                    outcome.knocks += 1
                    if knocksArrive { punchesAt[1 - x].append(t + knockDelay) }
                }
            }
        }
        var step = 0
        while Double(step) / 10 < seconds {
            let t = Double(step) / 10
            step += 1
            if t >= settled {
                let closed = t - sides[1].natRefreshed >= lifetimes[1]
                if closed, closedSince == nil { closedSince = t }
                if !closed, let since = closedSince {
                    outcome.longestClosedTowardB = max(outcome.longestClosedTowardB, t - since)
                    outcome.closedTowardB += t - since
                    closedSince = nil
                }
            }
            for x in 0..<2 where t >= sides[x].deadline || t >= sides[x].passiveDue {
                _ = send(x, 32, probe: false, at: t)
            }
            for x in 0..<2 {
                while let due = punchesAt[x].first, t >= due - 1e-9 {
                    punchesAt[x].removeFirst()
                    punch(x, at: t)
                }
                while let due = pendingProbes[x].first, t >= due - 1e-9 {
                    pendingProbes[x].removeFirst()
                    probing[x] = true
                    if send(x, 80, probe: true, at: t) {
                        carryOut(x, sides[x].learner.probeAnswered(now: t), at: t)
                    } else {
                        lostAt[x].append(t + KeepaliveLearner.probeWait)
                    }
                    probing[x] = !pendingProbes[x].isEmpty
                }
                while let due = lostAt[x].first, t >= due - 1e-9 {
                    lostAt[x].removeFirst()
                    carryOut(x, sides[x].learner.probeLost(now: t), at: t)
                }
                let pollPhase = x == 0 ? 0 : 5
                if step % 10 == pollPhase {
                    carryOut(x, sides[x].learner.observe(now: t, rxBytes: sides[x].rx, txBytes: sides[x].tx, pathUp: true), at: t)
                }
            }
        }
        outcome.a = sides[0].learner
        outcome.b = sides[1].learner
        outcome.keepaliveA = sides[0].keepalive
        outcome.keepaliveB = sides[1].keepalive
        return outcome
    }
}

import Glibc
let debugSim = getenv("SIMDEBUG") != nil
enum SimArgs {
    static let lifetimes: [Double] = getenv("SIMLIFE").map { [Double(atof($0))] } ?? [30.0, 45.0, 180.0, 20.0]
}
