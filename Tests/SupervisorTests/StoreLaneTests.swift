import EventLoop
import Probes
@testable import Supervisor
import Testing

@Suite struct StoreRoundTests {
    @Test func decidesWhenEveryStoreHasAnswered() {
        let loop = EventLoop()
        var decided: [Int?]?
        let round = StoreRound<Int>(loop: loop, count: 2, grace: 30, isGood: { $0 > 0 }) { decided = $0 }
        round.answer(1, 0)
        round.answer(0, 5)
        #expect(decided == nil, "the decision must come on the loop, not inside answer")
        LoopDriver.drive(loop, timeout: 2) { decided != nil }
        #expect(decided == [5, 0])
    }

    @Test func aFailureDoesNotStartTheGracePeriodButAGoodAnswerDoes() {
        let loop = EventLoop()
        var decided: [Int?]?
        let round = StoreRound<Int>(loop: loop, count: 3, grace: 0.2, isGood: { $0 > 0 }) { decided = $0 }
        round.answer(0, 0)
        LoopDriver.run(loop, for: 0.4)
        #expect(decided == nil)
        round.answer(1, 7)
        let start = LoopDriver.now()
        LoopDriver.drive(loop, timeout: 2) { decided != nil }
        #expect(decided == [0, 7, nil])
        #expect(LoopDriver.now() - start >= 0.15)
        round.answer(2, 9)  // too late: ignored
    }

    @Test func aCancelledRoundNeverDecides() {
        let loop = EventLoop()
        var decided = false
        let round = StoreRound<Int>(loop: loop, count: 1, grace: 0, isGood: { _ in true }) { _ in decided = true }
        round.cancel()
        round.answer(0, 1)
        LoopDriver.run(loop, for: 0.1)
        #expect(!decided)
    }
}

@Suite struct StoreLaneTests {
    let key = String(repeating: "ab", count: 20)

    @Test func readsBeyondTheStoresBudgetWaitForTheirTokenAndShowInTheHealth() {
        let loop = EventLoop()
        let store = ScriptedStore("paced", loop: loop)
        let pacer = SharedReadPacer(budget: .init(burst: 1, perSecond: 2))
        // Two peers' lanes on the one store share its pacer.
        let a = TestNodes.lane("p", store, loop: loop, pacer: pacer)
        let b = TestNodes.lane("p", store, loop: loop, pacer: pacer)
        var first: Double?, second: Double?
        let start = LoopDriver.now()
        a.get(key: key) { _ in first = LoopDriver.now() - start }
        b.get(key: String(repeating: "cd", count: 20)) { _ in second = LoopDriver.now() - start }
        LoopDriver.drive(loop, timeout: 3) { first != nil && second != nil }
        #expect((first ?? 9) < 0.2, "the first read goes at once")
        #expect((second ?? 0) >= 0.45, "the second waits for the next token (0.5 s): \(second ?? -1)")
        #expect(b.currentHealth.pacing?.delayed == 1)
        #expect(b.currentHealth.account.get.calls == 1, "a paced read is one call, counted when it goes out")
    }

    @Test func aHungStoreAnswersTimedOutAndCountsAsAFailure() {
        let loop = EventLoop()
        let store = ScriptedStore("hung", loop: loop)
        store.behaviour = .hang
        let lane = TestNodes.lane("h", store, timeout: 0.2, loop: loop)
        var got: Result<String?, StoreError>?
        lane.get(key: key) { got = $0 }
        LoopDriver.drive(loop, timeout: 3) { got != nil }
        guard case .failure(let error)? = got else { Issue.record("no timeout"); return }
        #expect(error.message.contains("no answer in 0.2 s"))
        var wrote: Result<Void, StoreError>?
        lane.set(key: key, value: "00", content: "c") { wrote = $0 }
        LoopDriver.drive(loop, timeout: 3) { wrote != nil }
        #expect((try? wrote?.get()) == nil)
        let health = lane.currentHealth
        #expect(health.consecutiveFailures == 2 && health.lastSuccess == nil && health.writes == 0)
        #expect(health.lastError?.contains("no answer") == true && health.lastErrorAt == 1_000_000)
    }

    @Test func concurrentGetsOfOneKeyShareOneRequest() {
        let loop = EventLoop()
        let store = ScriptedStore("s", loop: loop)
        store.values[key] = "v"
        store.behaviour = .answer(after: 0.1)
        let lane = TestNodes.lane("s", store, loop: loop)
        var answers: [String?] = []
        for _ in 0..<3 { lane.get(key: key) { answers.append(try? $0.get()) } }
        LoopDriver.drive(loop, timeout: 3) { answers.count == 3 }
        #expect(answers == ["v", "v", "v"])
        #expect(store.gets == 1)
        lane.get(key: key) { answers.append(try? $0.get()) }
        LoopDriver.drive(loop, timeout: 3) { answers.count == 4 }
        #expect(store.gets == 2)
    }

    /// Sets to one key never overlap, so an older value can never land after a newer one; of
    /// those waiting, only the newest is sent.
    @Test func setsWaitForTheOneInFlightAndOnlyTheNewestIsSent() {
        let loop = EventLoop()
        let store = ScriptedStore("s", loop: loop)
        store.behaviour = .answer(after: 0.1)
        let lane = TestNodes.lane("s", store, loop: loop)
        var results: [String: Bool] = [:]
        for value in ["1", "2", "3"] {
            lane.set(key: key, value: value, content: value) { results[value] = (try? $0.get()) != nil }
        }
        #expect(results == ["2": false], "the superseded set fails at once")
        LoopDriver.drive(loop, timeout: 3) { results.count == 3 }
        #expect(results == ["1": true, "2": false, "3": true])
        #expect(store.sets == 2 && store.values[key] == "3")
        #expect(lane.currentHealth.writes == 2 && lane.currentHealth.consecutiveFailures == 0)
        #expect(!lane.mustWrite(key: key, content: "3") || lane.policy == .always)
    }

    @Test func failuresAndRecoveryShowInTheHealth() {
        let loop = EventLoop()
        let store = ScriptedStore("s", loop: loop)
        store.behaviour = .fail("HTTP 500")
        let lane = TestNodes.lane("s", store, policy: .whenChanged(rewriteAfter: 3600), loop: loop)
        for _ in 0..<3 {
            var done = false
            lane.get(key: key) { _ in done = true }
            LoopDriver.drive(loop, timeout: 3) { done }
        }
        #expect(lane.currentHealth.consecutiveFailures == 3)
        #expect(lane.currentHealth.lastError == "s: HTTP 500")
        #expect(lane.mustWrite(key: key, content: "c"))
        store.behaviour = .answer(after: 0)
        var done = false
        lane.set(key: key, value: "v", content: "c") { _ in done = true }
        LoopDriver.drive(loop, timeout: 3) { done }
        let health = lane.currentHealth
        #expect(health.consecutiveFailures == 0 && health.lastSuccess == 1_000_000 && health.lastWrite == 1_000_000)
        #expect(health.lastError == "s: HTTP 500", "the last error stays visible after a recovery")
        #expect(!lane.mustWrite(key: key, content: "c"))
        #expect(lane.mustWrite(key: key, content: "d"))
        #expect(lane.mustWrite(key: String(repeating: "cd", count: 20), content: "c"))
    }

    /// An expiring store is written again on its own timer, whatever the refresh interval.
    @Test func anExpiringStoreIsRepublishedOnItsOwnTimer() {
        let loop = EventLoop()
        let store = ScriptedStore("dht", loop: loop)
        let lane = TestNodes.lane("dht", store, policy: .expiring(republishEvery: 0.2), loop: loop)
        var sealed = 0
        lane.reseal = {
            sealed += 1
            return (self.key, "v\(sealed)", "c")
        }
        var done = false
        lane.set(key: key, value: "v0", content: "c") { _ in done = true }
        LoopDriver.drive(loop, timeout: 3) { done }
        LoopDriver.run(loop, for: 0.7)
        #expect((2...4).contains(store.sets - 1), "republished \(store.sets - 1) times in 0.7 s at 0.2 s")
        #expect(store.values[key] == "v\(sealed)")
        lane.stop()
        let after = store.sets
        LoopDriver.run(loop, for: 0.4)
        #expect(store.sets == after, "stop() ends the republishing")
    }

    /// A failed write to an expiring store is retried by its timer (after a quarter of the
    /// republish interval, at most 30 s), not left to the next refresh.
    @Test func aFailedWriteToAnExpiringStoreIsRetriedSoon() {
        let loop = EventLoop()
        let store = ScriptedStore("dht", loop: loop)
        store.behaviour = .fail("HTTP 502")
        let lane = TestNodes.lane("dht", store, policy: .expiring(republishEvery: 0.4), loop: loop)
        lane.reseal = { (self.key, "again", "c") }
        var first: Result<Void, StoreError>?
        lane.set(key: key, value: "v", content: "c") { first = $0 }
        LoopDriver.drive(loop, timeout: 3) { first != nil }
        #expect((try? first?.get()) == nil)
        store.behaviour = .answer(after: 0)
        LoopDriver.drive(loop, timeout: 3) { store.values[key] != nil }
        #expect(store.values[key] == "again")
        #expect(lane.currentHealth.consecutiveFailures == 0 && lane.currentHealth.writes == 1)
        lane.stop()
    }
}
