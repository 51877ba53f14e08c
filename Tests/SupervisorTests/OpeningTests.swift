import Supervisor
import Testing

/// First contact's rules (`Opening`, docs/first-contact.md), input by input, and as a pair of
/// openings exchanging punches through a model of two NATs and two WireGuard initiation limits.
@Suite struct OpeningTests {
    @Test func itPunchesAtOnceThenFastThenSlowerThenRarely() {
        var o = Opening(weInitiate: true, now: 100)
        #expect(o.startActions == [.punch(seen: false)])
        var punchTimes: [Double] = [100]
        var now = 100.0
        while now < 160, let wake = o.nextWake {
            now = wake
            for action in o.tick(now: now) where action == .punch(seen: false) { punchTimes.append(now) }
        }
        let gaps = zip(punchTimes.dropFirst(), punchTimes).map { ($0 - $1 * 1).rounded(toPlaces: 3) }
        #expect(gaps.prefix(15).allSatisfy { $0 == Opening.fastInterval })
        #expect(gaps.contains(Opening.slowInterval))
        #expect(gaps.last == Opening.idleInterval, "past 30 s a punch every 20 s keeps our NAT's unreplied entry open")
        #expect(gaps.allSatisfy { $0 <= Opening.idleInterval })
    }

    /// A partner that never answers (gone, its record outlived it) is punched less and less:
    /// 20 s to 5 minutes, 60 s to 30 minutes, then every 5 minutes — a day of waiting costs
    /// ~300 punches (~20 kB), not 4,300 (~0.3 MB).
    @Test func aPartnerThatNeverAnswersIsPunchedRarelyAfterAWhile() {
        var o = Opening(weInitiate: false, now: 0)
        var punches: [Double] = [0]
        var now = 0.0
        while now < 86_400, let wake = o.nextWake {
            now = wake
            for action in o.tick(now: now) { if case .punch = action { punches.append(now) } }
        }
        func gap(after t: Double) -> Double {
            let i = punches.firstIndex { $0 > t }!
            return (punches[i + 1] - punches[i]).rounded(toPlaces: 3)
        }
        #expect(gap(after: 100) == Opening.idleInterval)
        #expect(gap(after: 600) == Opening.patientInterval)
        #expect(gap(after: 3600) == Opening.rareInterval)
        #expect(punches.count < 400, "\(punches.count) punches in a day")
        #expect(punches.filter { $0 > 3600 }.count <= 82_800 / 300 + 1)
    }

    @Test func theInitiatorInitiatesOnTheFirstPunchItSeesAndAnswersIt() {
        var o = Opening(weInitiate: true, now: 0)
        #expect(o.heardPunch(seen: false, now: 0.5) == [.punch(seen: true), .initiate(.pathOpen)])
        #expect(o.heardPunch(seen: false, now: 0.6) == [], "answers are spaced")
        #expect(o.heardPunch(seen: false, now: 0.8) == [.punch(seen: true)], "but given again: the partner has not heard us yet")
        #expect(o.heardPunch(seen: true, now: 0.9) == [], "one initiation only")
        #expect(o.partnerSawUs)
        #expect(o.nextWake == nil, "both sides have seen each other: no more punches, no fallback")
    }

    @Test func theInitiatorPunchesOrderedBeforeItsInitiation() {
        // The responder reads "seen" as "the initiation follows now": the punch must leave first.
        var o = Opening(weInitiate: true, now: 0)
        let actions = o.heardPunch(seen: true, now: 1)
        #expect(actions.first == .punch(seen: true))
        #expect(actions.last == .initiate(.pathOpen))
    }

    @Test func theResponderWaitsForTheInitiatorThenStepsIn() {
        var o = Opening(weInitiate: false, now: 0)
        #expect(o.heardPunch(seen: false, now: 0.4) == [.punch(seen: true)], "the responder never initiates on an unseen punch")
        #expect(o.heardPunch(seen: true, now: 0.5) == [])
        #expect(o.nextWake == 0.5 + Opening.handoff)
        #expect(o.tick(now: 0.5 + Opening.handoff) == [.initiate(.initiatorSilent)])
        #expect(o.tick(now: 10) == [], "once")
    }

    @Test func theResponderLetsTheInitiatorsInitiationThrough() {
        var o = Opening(weInitiate: false, now: 0)
        _ = o.heardPunch(seen: true, now: 0.5)
        o.heardInitiation(now: 0.51)
        #expect(o.tick(now: 0.5 + Opening.handoff) == [])
        #expect(o.tick(now: 20).allSatisfy { $0 != .initiate(.initiatorSilent) && $0 != .initiate(.noPunch) })
    }

    /// The times at which a lone opening (the partner never punches) initiates, up to `until`.
    func initiationsWithoutPunches(_ o: inout Opening, until: Double) -> [Double] {
        var initiations: [Double] = []
        var now = 0.0
        while now < until, let wake = o.nextWake {
            now = wake
            for case .initiate(let why) in o.tick(now: now) {
                #expect(why == .noPunch)
                initiations.append(now)
            }
        }
        return initiations
    }

    @Test func aPartnerThatNeverPunchesGetsOneInitiationAfterTheFallback() {
        for weInitiate in [true, false] {
            var o = Opening(weInitiate: weInitiate, now: 0)
            #expect(initiationsWithoutPunches(&o, until: 120) == [Opening.fallback])
        }
    }

    @Test func afterASessionOfOursThePartnerIsNotOpeningSoWeInitiateSoon() {
        // Our WireGuard was re-created; the partner's still holds the session and its daemon
        // neither opens nor punches.
        var o = Opening(weInitiate: false, now: 0, hadSession: true)
        #expect(initiationsWithoutPunches(&o, until: 40) == [Opening.fallbackAfterASession])
    }

    @Test func aHandshakeEndsEverything() {
        var o = Opening(weInitiate: false, now: 0)
        _ = o.heardPunch(seen: true, now: 0.5)
        o.handshakeCompleted()
        #expect(o.isFinished)
        #expect(o.nextWake == nil)
        #expect(o.tick(now: 5) == [])
        #expect(o.heardPunch(seen: false, now: 5) == [])
    }

    @Test func seenPunchesAreAnsweredRarelySoTwoSidesDoNotPingPong() {
        var o = Opening(weInitiate: false, now: 0)
        var answers = 0
        var t = 0.0
        while t < 10 {
            answers += o.heardPunch(seen: true, now: t).count { $0 == .punch(seen: true) }
            t += 0.05
        }
        #expect(answers <= 11)
    }

    // MARK: The pair

    /// Two sides, each an `Opening` beside a model of its WireGuard (one initiation per 5 s,
    /// stamped even when the packet is dropped or cannot be sent; an initiation that does not
    /// complete is retried every 5.1 s, 18 times, and for as long as traffic waits) and its NAT
    /// (inbound passes only from an endpoint we sent to: address- and port-dependent filtering).
    struct Side {
        var opening: Opening?
        var stamp = -Double.infinity
        var sentToPartner = false
        var trafficFrom: Double?
        var retransmitAt: Double?
        var retriesLeft = 0

        mutating func initiation(at now: Double, retry: Bool = false) -> Bool {
            guard now - stamp >= 5 else { return false }
            stamp = now
            retransmitAt = now + 5.1
            if !retry { retriesLeft = trafficFrom == nil ? 18 : .max }
            return true
        }
    }

    struct Pair {
        var a = Side(), b = Side()   // a initiates
        var events: [(at: Double, to: Bool /* to b */, what: String, seen: Bool)] = []
        var handshakeAt: Double?
        let oneWay: Double

        init(oneWay: Double) { self.oneWay = oneWay }

        mutating func send(from a: Bool, _ what: String, seen: Bool = false, at now: Double) {
            if a { self.a.sentToPartner = true } else { self.b.sentToPartner = true }
            events.append((now + oneWay, a, what, seen))
        }

        mutating func carry(_ actions: [Opening.Action], side isA: Bool, at now: Double) {
            for action in actions {
                switch action {
                case .punch(let seen): send(from: isA, "punch", seen: seen, at: now)
                case .initiate:
                    let sent = isA ? a.initiation(at: now) : b.initiation(at: now)
                    if sent { send(from: isA, "init", at: now) }
                }
            }
        }

        /// Runs until a handshake or `limit`; `aStart`/`bStart` open each side (nil: never).
        mutating func run(aStart: Double, bStart: Double, limit: Double = 30) -> Double? {
            var now = 0.0
            // Traffic spends the stamp at its start and at each retransmission.
            if let t = a.trafficFrom { _ = a.initiation(at: t) }
            if let t = b.trafficFrom { _ = b.initiation(at: t) }
            while now < limit, handshakeAt == nil {
                var next = limit
                if a.opening == nil { next = min(next, aStart) }
                if b.opening == nil { next = min(next, bStart) }
                if let w = a.opening?.nextWake { next = min(next, w) }
                if let w = b.opening?.nextWake { next = min(next, w) }
                if let r = a.retransmitAt { next = min(next, r) }
                if let r = b.retransmitAt { next = min(next, r) }
                if let e = events.map(\.at).min() { next = min(next, e) }
                now = max(now, next)
                if a.opening == nil, now >= aStart {
                    a.opening = Opening(weInitiate: true, now: now)
                    carry(a.opening!.startActions, side: true, at: now)
                }
                if b.opening == nil, now >= bStart {
                    b.opening = Opening(weInitiate: false, now: now)
                    carry(b.opening!.startActions, side: false, at: now)
                }
                // WireGuard's retransmissions (traffic waiting) go out once the endpoint is set.
                // wireguard-go stamps them even without an endpoint (the send fails).
                if let r = a.retransmitAt, now >= r {
                    a.retransmitAt = nil
                    if a.retriesLeft > 0 {
                        a.retriesLeft -= 1
                        if a.initiation(at: now, retry: true), a.opening != nil { send(from: true, "init", at: now) }
                    }
                }
                if let r = b.retransmitAt, now >= r {
                    b.retransmitAt = nil
                    if b.retriesLeft > 0 {
                        b.retriesLeft -= 1
                        if b.initiation(at: now, retry: true), b.opening != nil { send(from: false, "init", at: now) }
                    }
                }
                if var o = a.opening { let acts = o.tick(now: now); a.opening = o; carry(acts, side: true, at: now) }
                if var o = b.opening { let acts = o.tick(now: now); b.opening = o; carry(acts, side: false, at: now) }
                let due = events.filter { $0.at <= now }
                events.removeAll { $0.at <= now }
                for e in due {
                    // The receiving NAT passes it only if its side has sent to the partner.
                    let toB = e.to
                    let open = toB ? b.sentToPartner : a.sentToPartner
                    guard open else { continue }
                    if e.what == "init" {
                        // An initiation that gets in completes the handshake (the response always
                        // gets back: the initiator's NAT sent the initiation).
                        handshakeAt = e.at + oneWay
                        break
                    }
                    if toB, var o = b.opening { let acts = o.heardPunch(seen: e.seen, now: now); b.opening = o; carry(acts, side: false, at: now) }
                    if !toB, var o = a.opening { let acts = o.heardPunch(seen: e.seen, now: now); a.opening = o; carry(acts, side: true, at: now) }
                }
            }
            return handshakeAt
        }
    }

    @Test(arguments: [0.0, 3.0, 25.0, 40.0])
    func withoutTrafficTheHandshakeFollowsThePunchesInEitherStartOrder(_ offset: Double) throws {
        for aFirst in [true, false] {
            var pair = Pair(oneWay: 0.005)
            let later = 1.0 + offset
            let result = pair.run(aStart: aFirst ? 1 : later, bStart: aFirst ? later : 1, limit: later + 20)
            let done = try #require(result)
            #expect(done - later < 0.5, "offset \(offset), a first: \(aFirst): \(done - later) s")
        }
    }

    @Test(arguments: [0.0, 3.0, 25.0])
    func trafficOnOneSideSpendsOnlyThatSidesInitiation(_ offset: Double) throws {
        for trafficOnA in [true, false] {
            for aFirst in [true, false] {
                var pair = Pair(oneWay: 0.005)
                if trafficOnA { pair.a.trafficFrom = 0 } else { pair.b.trafficFrom = 0 }
                let later = 1.0 + offset
                let result = pair.run(aStart: aFirst ? 1 : later, bStart: aFirst ? later : 1, limit: later + 20)
                let done = try #require(result)
                #expect(done - later < 1.0, "offset \(offset), traffic on a: \(trafficOnA), a first: \(aFirst): \(done - later) s")
            }
        }
    }

    @Test func trafficOnBothSidesWaitsAtMostForWireGuardsRetransmission() throws {
        for offset in [0.0, 1.7, 3.0, 25.0] {
            var pair = Pair(oneWay: 0.005)
            pair.a.trafficFrom = 0
            pair.b.trafficFrom = 0.3
            let later = 1.0 + offset
            let result = pair.run(aStart: 1, bStart: later, limit: later + 20)
            let done = try #require(result)
            #expect(done - later <= 5.5, "offset \(offset): \(done - later) s")
        }
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        return (self * factor).rounded() / factor
    }
}
