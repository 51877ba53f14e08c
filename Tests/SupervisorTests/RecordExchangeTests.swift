import EventLoop
import Probes
import Record
@testable import Supervisor
import SystemCalls
import Testing

/// Publishing to and reading from several stores, timestamps and replay protection, with
/// scripted stores on a real loop.
@Suite struct RecordExchangeTests {
    typealias N = TestNodes
    let x = Endpoint("203.0.113.10:35436")!
    let y = Endpoint("203.0.113.10:40000")!
    /// The key A writes for B, which B reads.
    let key = StoreKey.forRecord(from: TestNodes.a.publicKey, to: TestNodes.b.publicKey)

    /// What B finds when it opens `value`.
    func opened(_ value: String?) -> String? {
        guard let value, let plaintext = try? RecordBox.open(value, receiverPrivate: N.bPrivate, senderPublic: N.a.publicKey)
        else { return nil }
        return String(decoding: plaintext, as: UTF8.self)
    }

    @Test func publishesAStampedRecordToEveryStoreAndThePeerReadsIt() throws {
        let loop = EventLoop()
        let cf = ScriptedStore("cf", loop: loop), dht = ScriptedStore("dht", loop: loop)
        let a = N.publisher([N.lane("cf", cf, loop: loop), N.lane("dht", dht, loop: loop)], loop: loop)
        let published = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(published.written == ["cf", "dht"] && published.skipped.isEmpty && published.failed.isEmpty
            && published.pending.isEmpty)
        #expect(published.key == key)
        #expect(opened(cf.values[key]) == #"{"ipv4":"203.0.113.10:35436","ts":1700000000}"#)
        #expect(opened(dht.values[key]) == opened(cf.values[key]))

        let b = N.reader([N.lane("cf", cf, loop: loop), N.lane("dht", dht, loop: loop)], loop: loop)
        guard case .record(let record, let plugin, let since)? = b.readNow(keys: N.b, loop: loop) else {
            Issue.record("B did not read A's record"); return
        }
        #expect(record == EndpointRecord(ipv4: x, timestamp: 1_700_000_000) && plugin == "cf" && since == 1_000_000)
        #expect(b.remote?.isStamped == true && b.remote?.endpoints == #"{"ipv4":"203.0.113.10:35436"}"#)
    }

    /// Steady state: unchanged endpoints are not rewritten to stores that keep them; the
    /// timestamp stays while the endpoints do, and moves (never back) when they change.
    @Test func unchangedEndpointsAreOnlyRewrittenWhereThePolicySaysSo() throws {
        let loop = EventLoop()
        let cf = ScriptedStore("cf", loop: loop), dht = ScriptedStore("dht", loop: loop), ex = ScriptedStore("ex", loop: loop)
        var clock = 1_700_000_000
        let a = N.publisher([N.lane("cf", cf, policy: .whenChanged(rewriteAfter: 3600), loop: loop),
                             N.lane("dht", dht, policy: .expiring(republishEvery: 300), loop: loop),
                             N.lane("ex", ex, policy: .always, loop: loop)], loop: loop, clock: { clock })
        _ = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        clock += 600
        let again = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(again.written == ["ex"] && again.skipped == ["cf", "dht"])
        #expect(again.record.timestamp == 1_700_000_000, "same endpoints, same ts")
        #expect(cf.sets == 1 && dht.sets == 1 && ex.sets == 2)
        #expect(a.health.map(\.writesSkipped) == [1, 1, 0])

        clock -= 5000  // the clock steps back
        let moved = try #require(try a.publishNow(EndpointRecord(ipv4: y), keys: N.a, loop: loop)?.get())
        #expect(moved.written == ["cf", "dht", "ex"])
        #expect(moved.record.timestamp == 1_700_000_000, "ts never goes back")
        clock += 10000
        let movedAgain = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(movedAgain.record.timestamp == clock)
    }

    /// A knock writes the unchanged record again with a newer `ts`, only where a partner would
    /// be told (a store whose watch is free), and B accepts it as news.
    @Test func aKnockRewritesTheRecordNewerOnlyWhereThePartnerIsTold() throws {
        let loop = EventLoop()
        let file = ScriptedStore("file", loop: loop), ex = ScriptedStore("ex", loop: loop)
        file.watchable = true
        let a = N.publisher([N.lane("file", file, loop: loop), N.lane("ex", ex, policy: .always, loop: loop)], loop: loop)
        func knockNow() -> Result<[String], StoreError>? {
            var result: Result<[String], StoreError>?
            a.knock(keys: N.a) { result = $0 }
            LoopDriver.drive(loop, timeout: 20) { result != nil }
            return result
        }
        #expect(try knockNow()?.get() == [], "nothing published yet: nothing to knock with")
        _ = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(try knockNow()?.get() == [], "no watch asked for yet: nobody to tell")
        #expect(a.watchRemote(keys: N.a) {} == 1)
        let b = N.reader([N.lane("file", file, loop: loop), N.lane("ex", ex, loop: loop)], loop: loop)
        guard case .record(let first, _, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("no record"); return }
        #expect(try knockNow()?.get() == ["file"])
        #expect(file.sets == 2 && ex.sets == 1)
        #expect(opened(file.values[key]) == #"{"ipv4":"203.0.113.10:35436","ts":1700000001}"#, "ts moved on though the clock did not")
        guard case .record(let knocked, let plugin, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("knock rejected"); return }
        #expect(plugin == "file" && knocked.endpoints == first.endpoints && knocked.timestamp == 1_700_000_001)
        // A later publish of the same endpoints keeps the knock's ts (never going back).
        let again = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(again.record.timestamp == 1_700_000_001)
    }

    /// A missing record is read again at the pacer's cadence, but no sooner than once a minute
    /// from a store whose free watch will say when it appears.
    /// A knock is the same endpoints with a newer `ts`; a move, an older or equal `ts`, or a record
    /// without one (stunmesh-go) is not.
    @Test func aKnockIsTheSameEndpointsNewer() {
        let before = RecordExchange.RemoteRecordStatus(endpoints: EndpointRecord(ipv4: x).json(), timestamp: 100,
                                                       plugin: "store", firstSeen: 0, lastRead: 0)
        #expect(before.isRewritten(as: EndpointRecord(ipv4: x, timestamp: 101)))
        #expect(!before.isRewritten(as: EndpointRecord(ipv4: x, timestamp: 100)))
        #expect(!before.isRewritten(as: EndpointRecord(ipv4: x, timestamp: 99)))
        #expect(!before.isRewritten(as: EndpointRecord(ipv4: y, timestamp: 101)), "a move is not a knock")
        #expect(!before.isRewritten(as: EndpointRecord(ipv4: x)), "no ts: a stunmesh-go peer")
        var unstamped = before
        unstamped.timestamp = nil
        #expect(!unstamped.isRewritten(as: EndpointRecord(ipv4: x, timestamp: 101)))
    }

    @Test func aWatchedStoreIsReadForAMissingRecordOnlyAsASafetyNet() {
        let loop = EventLoop()
        let file = ScriptedStore("file", loop: loop), ex = ScriptedStore("ex", loop: loop)
        file.watchable = true
        let watched = N.publisher([N.lane("file", file, loop: loop)], loop: loop)
        #expect(watched.missingPollInterval == StoreReadPacer.missingFloor)
        watched.watchRemote(keys: N.a) {}
        #expect(watched.missingPollInterval == StoreReadPacer.watchedMissingInterval)
        let both = N.publisher([N.lane("file", file, loop: loop), N.lane("ex", ex, loop: loop)], loop: loop)
        both.watchRemote(keys: N.a) {}
        #expect(both.missingPollInterval == StoreReadPacer.watchedMissingInterval, "the slowest store's cadence: every read goes to both")
        let unwatched = N.publisher([N.lane("ex", ex, loop: loop)], loop: loop)
        unwatched.watchRemote(keys: N.a) {}
        #expect(unwatched.missingPollInterval == StoreReadPacer.missingFloor)
    }

    /// A failing store and a hung one cost the publish at most the grace period.
    @Test func aFailingOrHungStoreNeverStallsThePublish() throws {
        let loop = EventLoop()
        let failing = ScriptedStore("failing", loop: loop), hung = ScriptedStore("hung", loop: loop)
        let good = ScriptedStore("good", loop: loop)
        failing.behaviour = .fail("HTTP 500")
        hung.behaviour = .hang
        let a = N.publisher([N.lane("failing", failing, loop: loop), N.lane("hung", hung, timeout: 1, loop: loop),
                             N.lane("good", good, loop: loop)], loop: loop, grace: 0.3)
        let start = LoopDriver.now()
        let published = try #require(try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get())
        #expect(LoopDriver.now() - start < 2)
        #expect(published.written == ["good"] && published.failed == ["failing"] && published.pending == ["hung"])
        #expect(a.health.map(\.consecutiveFailures) == [1, 0, 0], "the hung store has not failed yet, only not answered")

        // Now every store fails; the hung store's first write is still in flight, so the new
        // one waits behind it, and fails within the store's 1 s timeout.
        good.behaviour = .fail("down")
        guard case .failure(let error)? = a.publishNow(EndpointRecord(ipv4: y), keys: N.a, loop: loop) else {
            Issue.record("a publish no store took must fail"); return
        }
        #expect(error.message.contains("failing: ") && error.message.contains("good: "))
    }

    @Test func theNewestRecordWinsAcrossStoresAndASlowStoreIsNotWaitedFor() throws {
        let loop = EventLoop()
        let cf = ScriptedStore("cf", loop: loop), dht = ScriptedStore("dht", loop: loop)
        var clock = 100
        // A writes x at ts 100 to both, then y at ts 200 to dht only (cf was down).
        let a = N.publisher([N.lane("cf", cf, loop: loop), N.lane("dht", dht, loop: loop)], loop: loop, clock: { clock })
        _ = try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get()
        cf.behaviour = .fail("down")
        clock = 200
        _ = try a.publishNow(EndpointRecord(ipv4: y), keys: N.a, loop: loop)?.get()
        cf.behaviour = .answer(after: 0)
        let b = N.reader([N.lane("cf", cf, loop: loop), N.lane("dht", dht, loop: loop)], loop: loop)
        guard case .record(let record, let plugin, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("no record"); return }
        #expect(record.ipv4 == y && record.timestamp == 200 && plugin == "dht")

        // The store with the newest record is slow: the round decides `grace` after the first
        // good answer, with what it has: cf's x, older than the y accepted, so rejected as stale
        // (and WireGuard keeps y) instead of waiting 3 s for dht.
        dht.behaviour = .answer(after: 3)
        let start = LoopDriver.now()
        let read = b.readNow(keys: N.b, loop: loop)
        #expect(LoopDriver.now() - start < 2)
        guard case .rejected(let why)? = read else { Issue.record("expected the stale record to be rejected: \(String(describing: read))"); return }
        #expect(why.contains("ts 100") && why.contains("ts 200"))
    }

    /// The replay test: an older sealed record of the peer, put back into the store, is rejected;
    /// a newer one is accepted again.
    @Test func replayingAnOlderSealedRecordIsRejected() throws {
        let loop = EventLoop()
        let store = ScriptedStore("cf", loop: loop)
        var clock = 1_700_000_000
        let a = N.publisher([N.lane("cf", store, loop: loop)], loop: loop, clock: { clock })
        let b = N.reader([N.lane("cf", store, loop: loop)], loop: loop)
        _ = try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get()
        let old = try #require(store.values[key])
        clock += 60
        _ = try a.publishNow(EndpointRecord(ipv4: y), keys: N.a, loop: loop)?.get()
        guard case .record(let current, _, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("no record"); return }
        #expect(current.ipv4 == y)

        store.values[key] = old  // someone with write access to the store replays the old record
        guard case .rejected(let why)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("the replay was accepted"); return }
        #expect(why.contains("replayed or stale"))
        #expect(b.remote?.endpoints == #"{"ipv4":"203.0.113.10:40000"}"#, "status still shows the accepted record")

        clock += 60
        _ = try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get()
        guard case .record(let back, _, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("a newer record was refused"); return }
        #expect(back.ipv4 == x && back.timestamp == 1_700_000_120)
    }

    /// A record as stunmesh-go seals it (no ts) is accepted, and status says it has no timestamp.
    @Test func aStunmeshGoRecordIsAcceptedAndMarked() throws {
        let loop = EventLoop()
        let store = ScriptedStore("cf", loop: loop)
        store.values[key] = try RecordBox.seal(Array(#"{"ipv4":"203.0.113.10:35436"}"#.utf8), senderPrivate: N.aPrivate,
                                               receiverPublic: N.b.publicKey)
        let b = N.reader([N.lane("cf", store, loop: loop)], loop: loop)
        guard case .record(let record, _, _)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("refused"); return }
        #expect(record == EndpointRecord(ipv4: x))
        #expect(b.remote?.isStamped == false && b.remote?.timestamp == nil)
    }

    @Test func forgedAndMissingRecordsAreReportedAsSuch() throws {
        let loop = EventLoop()
        let forged = ScriptedStore("forged", loop: loop), empty = ScriptedStore("empty", loop: loop)
        // Sealed by B for itself: authentic-looking hex that does not open with A's key.
        forged.values[key] = try RecordBox.seal(Array(#"{"ipv4":"198.51.100.1:1"}"#.utf8), senderPrivate: N.bPrivate,
                                                receiverPublic: N.b.publicKey)
        let b = N.reader([N.lane("forged", forged, loop: loop), N.lane("empty", empty, loop: loop)], loop: loop)
        guard case .rejected(let why)? = b.readNow(keys: N.b, loop: loop) else { Issue.record("a forged record got through"); return }
        #expect(why.hasPrefix("forged: record does not authenticate"))
        #expect(b.remote == nil)
        forged.values = [:]
        guard case .missing? = b.readNow(keys: N.b, loop: loop) else { Issue.record("expected missing"); return }
    }

    /// The expiring store's timer republishes the newest record, sealed again with the same ts.
    @Test func theRepublishTimerRewritesTheNewestRecord() throws {
        let loop = EventLoop()
        let dht = ScriptedStore("dht", loop: loop)
        var clock = 500
        let a = N.publisher([N.lane("dht", dht, policy: .expiring(republishEvery: 0.2), loop: loop)], loop: loop, clock: { clock })
        _ = try a.publishNow(EndpointRecord(ipv4: x), keys: N.a, loop: loop)?.get()
        clock = 900
        _ = try a.publishNow(EndpointRecord(ipv4: y), keys: N.a, loop: loop)?.get()
        let first = dht.values[key]
        LoopDriver.run(loop, for: 0.5)
        #expect(dht.sets >= 3)
        #expect(dht.values[key] != first, "a fresh nonce")
        #expect(opened(dht.values[key]) == #"{"ipv4":"203.0.113.10:40000","ts":900}"#)
        a.stop()
    }
}

/// Replay protection across restarts: the newest accepted `ts` per partner in `state_file`.
@Suite struct ReplayMemoryTests {
    typealias N = TestNodes
    let key = StoreKey.forRecord(from: TestNodes.a.publicKey, to: TestNodes.b.publicKey)

    @Test func theFileKeepsTheNewestAcceptedTimestampPerPartner() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let path = "\(tree.root)/state/replay.json"
        let loop = EventLoop()
        let memory = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        #expect(memory.newest(for: key) == nil)
        memory.accepted(1_700_000_100, for: key)
        memory.accepted(1_700_000_050, for: key)   // older: not news
        memory.flush()
        let reloaded = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        #expect(reloaded.newest(for: key) == 1_700_000_100)
        #expect(ReplayMemory.encode(reloaded.newest) == "{\"schema\":1,\"newest_accepted\":{\"\(key)\":1700000100}}\n")
        try? Sys.unlink(path)
        try? Sys.rmdir("\(tree.root)/state")
    }

    /// A sender whose clock went back (a router without a real-time clock, before NTP) after a
    /// restart never publishes below what it published before; the file keeps both directions.
    @Test func aRestartedSenderNeverPublishesBelowItsLastTimestamp() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let path = "\(tree.root)/replay.json"
        defer { try? Sys.unlink(path) }
        let loop = EventLoop()
        let store = ScriptedStore("dht", loop: loop)
        let before = N.publisher([N.lane("dht", store, loop: loop)], loop: loop, clock: { 1_700_000_900 })
        before.replayMemory = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        _ = try #require(try before.publishNow(EndpointRecord(ipv4: Endpoint("203.0.113.10:35436")!), keys: N.a, loop: loop)?.get())
        let restarted = N.publisher([N.lane("dht", store, loop: loop)], loop: loop, clock: { 1_600_000_000 })
        restarted.replayMemory = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        let again = try #require(try restarted.publishNow(EndpointRecord(ipv4: Endpoint("203.0.113.10:40000")!), keys: N.a,
                                                          loop: loop)?.get())
        #expect(again.record.timestamp == 1_700_000_900, "not the clock's 1600000000")
        #expect(ReplayMemory.decode(try #require(String(validating: try ConfigLoader.readFile(path), as: UTF8.self)),
                                    field: "last_published") == [key: 1_700_000_900])
    }

    /// A hub's start: every peer publishes in the same loop iteration. One file write holds every
    /// `ts` (a write per publish made the start quadratic: 21 s at 5,000 peers), and no record
    /// reaches a store before the write that holds its `ts`.
    @Test func publishesOfOneIterationShareOneWriteThatComesBeforeTheRecords() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let path = "\(tree.root)/replay.json"
        defer { try? Sys.unlink(path) }
        let loop = EventLoop()
        let memory = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        let store = ScriptedStore("file", loop: loop)
        let senders = (1...50).map { index -> InterfaceKeys in
            let secret = WireGuardKey(bytes: [UInt8](repeating: UInt8(index), count: 32))!
            return InterfaceKeys(privateKey: secret, publicKey: secret.publicKey())
        }
        var done = 0
        var exchanges: [RecordExchange] = []
        for keys in senders {
            let exchange = N.publisher([N.lane("file", store, loop: loop)], loop: loop)
            exchange.replayMemory = memory
            exchange.publish(EndpointRecord(ipv4: Endpoint("203.0.113.10:35436")!), keys: keys) { result in
                if case .success = result { done += 1 }
            }
            exchanges.append(exchange)
        }
        #expect(store.sets == 0, "a record left before its ts was on disk")
        #expect(memory.writes == 0)
        LoopDriver.drive(loop, timeout: 5) { done == senders.count }
        #expect(done == senders.count)
        #expect(memory.writes == 1)
        #expect(store.sets == senders.count)
        let saved = ReplayMemory.decode(try #require(String(validating: try ConfigLoader.readFile(path), as: UTF8.self)),
                                        field: "last_published")
        #expect(saved?.count == senders.count)
        #expect(saved?.values.allSatisfy { $0 == 1_700_000_000 } == true)
        // The same record again is not news: it goes out at once, with no write.
        var again = false
        exchanges[0].publish(EndpointRecord(ipv4: Endpoint("203.0.113.10:35436")!), keys: senders[0]) { _ in again = true }
        #expect(store.sets == senders.count + 1)
        LoopDriver.drive(loop, timeout: 5) { again }
        #expect(memory.writes == 1)
    }

    /// A publish replaced while its `ts` was being saved sends nothing; the newer one goes out.
    @Test func aPublishReplacedBeforeTheWriteSendsNothing() throws {
        let tree = try ConfigTempTree()
        defer { tree.remove() }
        let path = "\(tree.root)/replay.json"
        defer { try? Sys.unlink(path) }
        let loop = EventLoop()
        let store = ScriptedStore("file", loop: loop)
        var clock = 1_700_000_000
        let exchange = N.publisher([N.lane("file", store, loop: loop)], loop: loop, clock: { clock })
        exchange.replayMemory = ReplayMemory(path: path, loop: loop, logger: N.quiet)
        var first: Result<RecordExchange.Published, StoreError>?
        exchange.publish(EndpointRecord(ipv4: Endpoint("203.0.113.10:35436")!), keys: N.a) { first = $0 }
        clock += 1
        let second = try #require(exchange.publishNow(EndpointRecord(ipv4: Endpoint("203.0.113.10:40000")!), keys: N.a, loop: loop))
        #expect(try second.get().record.timestamp == 1_700_000_001)
        #expect(store.sets == 1, "only the newer record was written")
        #expect(first == nil, "the replaced publish does not answer")
    }

    @Test func aBadFileIsIgnoredAndBadEntriesDropped() {
        #expect(ReplayMemory.decode("not json") == nil)
        #expect(ReplayMemory.decode(#"{"schema":2,"newest_accepted":{}}"#) == nil)
        let good = String(repeating: "a", count: 40)
        #expect(ReplayMemory.decode(#"{"schema":1,"newest_accepted":{"\#(good)":5,"XYZ":6,"\#(String(repeating: "b", count: 40))":1.5,"\#(String(repeating: "c", count: 40))":1e300}}"#)
                == [good: 5])
        #expect(ReplayMemory(path: "", loop: EventLoop(), logger: N.quiet).path == nil, "\"\" keeps it in memory only")
    }

    /// After a restart (a fresh exchange), a genuinely sealed record older than the newest one
    /// accepted before is refused; the newest itself is taken.
    @Test func aFreshExchangeRefusesAnOlderRecordItAcceptedNewerBefore() throws {
        let loop = EventLoop()
        let store = ScriptedStore("dht", loop: loop)
        let a = N.publisher([N.lane("dht", store, loop: loop)], loop: loop, clock: { 1_700_000_000 })
        _ = try #require(try a.publishNow(EndpointRecord(ipv4: Endpoint("203.0.113.10:35436")!), keys: N.a, loop: loop)?.get())
        let memory = ReplayMemory(path: nil, loop: loop, logger: N.quiet)
        memory.accepted(1_700_000_500, for: key)
        let restarted = N.reader([N.lane("dht", store, loop: loop)], loop: loop)
        restarted.replayMemory = memory
        guard case .rejected(let why)? = restarted.readNow(keys: N.b, loop: loop) else {
            Issue.record("the older record was taken after a restart"); return
        }
        #expect(why.contains("older (ts 1700000000) than the newest accepted (ts 1700000500)"))
        let unprotected = N.reader([N.lane("dht", store, loop: loop)], loop: loop)
        guard case .record? = unprotected.readNow(keys: N.b, loop: loop) else { Issue.record("no record"); return }
    }
}
