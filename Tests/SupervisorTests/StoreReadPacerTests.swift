import Supervisor
import Testing

/// The one store-read pacer: a token bucket per store, its budget from the store's cost class.
@Suite struct StoreReadPacerTests {
    @Test func aBurstGoesAtOnceThenTheAverageRateHolds() {
        var pacer = StoreReadPacer(budget: .init(burst: 4, perSecond: 0.2))
        for _ in 0..<4 { #expect(pacer.delay(now: 100) == 0) }
        #expect(pacer.delay(now: 100) == 5, "the fifth waits for a token: 1 / 0.2 s")
        #expect(pacer.delay(now: 100) == 10, "its token is reserved: the next waits longer")
        #expect(pacer.delayed == 2 && pacer.delaySum == 15)
        #expect(pacer.delay(now: 200) == 0, "refilled after a quiet spell")
    }

    @Test func noBudgetIsExceededWhateverTheCallersAsk() {
        // Every peer of a flaky hub asks to read every 0.25 s for 10 minutes: the reads that
        // actually go out stay within burst + rate × time.
        var pacer = StoreReadPacer(budget: .init(burst: 10, perSecond: 0.4))
        var goOut: [Double] = []
        var now = 0.0
        while now < 600 {
            for _ in 0..<20 { goOut.append(now + pacer.delay(now: now)) }
            now += 0.25
        }
        let inWindow = goOut.filter { $0 < 600 }.count
        #expect(Double(inWindow) <= 10 + 0.4 * 600 + 1, "\(inWindow) reads in 600 s")
    }

    @Test func budgetsFollowTheCostClass() {
        func budget(_ plugin: PluginConfig) -> StoreReadPacer.Budget { plugin.readBudgetForTests }
        #expect(budget(.file(directory: "/x")).perSecond == 10)
        #expect(budget(.exec(command: "/p", args: [], dedup: false)).perMinute == 12)
        let cloudflare = budget(.cloudflare(zone: "z", token: "t", subdomain: nil, apiURL: nil, dedup: false))
        #expect(cloudflare.perMinute == 24, "a tenth of 1200 calls per 5 minutes")
        #expect(budget(.openDHT(endpoints: ["http://a"], magic: "m", timeout: 5)).perMinute == 20)
    }

    @Test func peersWaitingForAMissingRecordShareHalfTheBudgetAndNeverPollFasterThanTwoSeconds() {
        let dht = StoreReadPacer.Budget(burst: 5, perSecond: 1.0 / 3)
        #expect(StoreReadPacer.missingPollInterval(budget: dht, waiting: 1) == 6)
        #expect(StoreReadPacer.missingPollInterval(budget: dht, waiting: 10) == 60)
        #expect(StoreReadPacer.missingPollInterval(budget: dht, waiting: 0) == 6, "the asking peer counts")
        let file = StoreReadPacer.Budget(burst: 20, perSecond: 10)
        #expect(StoreReadPacer.missingPollInterval(budget: file, waiting: 1) == 2)
        #expect(StoreReadPacer.missingPollInterval(budget: file, waiting: 1000) == 200)
        // 1,000 waiting peers at their cadence read at half the budget: within it.
        let reads = 1000 / StoreReadPacer.missingPollInterval(budget: dht, waiting: 1000)
        #expect(reads <= dht.perSecond * StoreReadPacer.missingShare + 1e-9)
    }

    /// A thousand peers' first reads queue at start; the one read a change notification asks for
    /// goes ahead of them, from a reserve of a quarter of the burst refilled at a tenth of the
    /// rate; the queue behind it waits one token longer; the long-run rate stays the budget's.
    @Test func anUrgentReadGoesAheadOfTheQueueWithinTheBudget() {
        var pacer = StoreReadPacer(budget: .init(burst: 20, perSecond: 10))
        var waits: [Double] = []
        for _ in 0..<1000 { waits.append(pacer.delay(now: 0)) }
        #expect(waits.last! > 90, "the thousandth first read waits \(waits.last!) s")
        let notified = pacer.delay(now: 1, urgent: true)
        #expect(notified == 0, "the notified read goes now")
        let routine = pacer.delay(now: 1, urgent: false)
        #expect(routine > 95, "a routine one queues behind everything")
        for _ in 0..<4 { _ = pacer.delay(now: 1, urgent: true) }
        let spent = pacer.delay(now: 1, urgent: true)
        #expect(spent > 95, "the reserve (5) is spent: it queues too")
        #expect(pacer.urgentAhead == 5)
        let refilled = pacer.delay(now: 3, urgent: true)
        #expect(refilled == 0, "a tenth of the rate refills one token a second")
        // A read already queued that becomes urgent goes ahead without taking a second token.
        var queued = StoreReadPacer(budget: .init(burst: 1, perSecond: 1))
        _ = queued.delay(now: 0)
        let second = queued.delay(now: 0)
        #expect(second == 1)
        let ahead = queued.goAhead(now: 0), again = queued.goAhead(now: 0)
        #expect(ahead)
        #expect(!again, "the reserve of one is spent")
        let third = queued.delay(now: 0)
        #expect(third == 2, "the bucket counted the read once")
    }

    @Test func urgentReadsExceedTheBudgetByAtMostTheirReserve() {
        var pacer = StoreReadPacer(budget: .init(burst: 4, perSecond: 0.2))
        var goOut: [Double] = []
        var now = 0.0
        while now < 600 {
            for urgent in [true, false, false] { goOut.append(now + pacer.delay(now: now, urgent: urgent)) }
            now += 0.5
        }
        let inWindow = Double(goOut.filter { $0 < 600 }.count)
        // The bucket's reads, plus the urgent reserve's: at most a tenth of the rate more.
        let limit: Double = 4 + 0.2 * 600 + 1 + 0.1 * 0.2 * 600 + 1
        #expect(inWindow <= limit, "\(inWindow) reads in 600 s")
    }
}
