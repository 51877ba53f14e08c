import Record
@testable import Supervisor
import SystemCalls
import Testing

/// The rules that pick the peer's record among its stores and reject replays.
@Suite struct RemoteRecordChoiceTests {
    let x = Endpoint("203.0.113.20:35436")!
    let y = Endpoint("203.0.113.20:40000")!
    let stores = ["cf", "dht", "ex"]

    func choose(_ answers: [StoreReadAnswer?], newest: Int? = nil, last: EndpointRecord? = nil) -> RemoteRecordChoice.Verdict {
        RemoteRecordChoice.choose(answers, stores: stores, newestAccepted: newest, lastAccepted: last)
    }

    @Test func theNewestRecordWinsWhicheverStoreHasIt() {
        let old = EndpointRecord(ipv4: x, timestamp: 100), new = EndpointRecord(ipv4: y, timestamp: 200)
        #expect(choose([.record(old), .record(new), .missing]) == .accept(new, store: 1))
        #expect(choose([.record(new), .record(old), .failed("down")]) == .accept(new, store: 0))
    }

    @Test func recordsWithoutTimestampRankOldestAndTiesGoToTheFirstStore() {
        let go = EndpointRecord(ipv4: x), stamped = EndpointRecord(ipv4: y, timestamp: 0)
        #expect(choose([.record(go), .record(stamped)]) == .accept(stamped, store: 1))
        #expect(choose([.record(go), .record(EndpointRecord(ipv4: y))]) == .accept(go, store: 0))
        let same = EndpointRecord(ipv4: y, timestamp: 5)
        #expect(choose([.missing, .record(same), .record(EndpointRecord(ipv4: x, timestamp: 5))]) == .accept(same, store: 1))
    }

    @Test func aRecordOlderThanTheNewestAcceptedIsRejected() {
        let replayed = EndpointRecord(ipv4: x, timestamp: 100)
        let verdict = choose([.record(replayed)], newest: 200, last: EndpointRecord(ipv4: y, timestamp: 200))
        guard case .reject(let why) = verdict else { Issue.record("accepted a replay: \(verdict)"); return }
        #expect(why.contains("ts 100") && why.contains("ts 200") && why.contains("cf"))
        // As old as the newest accepted, or newer: fine.
        #expect(choose([.record(EndpointRecord(ipv4: x, timestamp: 200))], newest: 200, last: EndpointRecord(ipv4: y, timestamp: 200))
            == .accept(EndpointRecord(ipv4: x, timestamp: 200), store: 0))
    }

    /// A store lagging behind with the endpoints we already use is not an attack: nothing changes.
    @Test func anOlderRecordWithTheSameEndpointsIsAccepted() {
        let lagging = EndpointRecord(ipv4: y, timestamp: 100)
        #expect(choose([.failed("down"), .record(lagging)], newest: 200, last: EndpointRecord(ipv4: y, timestamp: 200))
            == .accept(lagging, store: 1))
    }

    /// stunmesh-go writes no ts: its records are accepted, replay protection cannot apply.
    @Test func aRecordWithoutTimestampIsAccepted() {
        let go = EndpointRecord(ipv4: x)
        #expect(choose([.record(go)], newest: 200, last: EndpointRecord(ipv4: y, timestamp: 200)) == .accept(go, store: 0))
    }

    @Test func withoutAUsableRecordTheWorstNewsIsReported() {
        guard case .reject(let why) = choose([.unreadable("forged"), .missing, .failed("down")]) else {
            Issue.record("an unreadable record must be reported as rejected"); return
        }
        #expect(why == "cf: forged")
        #expect(choose([.missing, .missing, .missing]) == .missing)
        #expect(choose([.missing, .failed("HTTP 500"), nil]) == .failed("dht: HTTP 500; ex: no answer yet"))
    }
}

@Suite struct StoreWritePolicyTests {
    @Test func whenAWriteIsNeeded() {
        let last = (content: "a", at: 100.0)
        #expect(StoreWritePolicy.always.mustWrite(content: "a", lastWrite: last, now: 101))
        #expect(StoreWritePolicy.whenChanged(rewriteAfter: 3600).mustWrite(content: "a", lastWrite: nil, now: 101))
        #expect(!StoreWritePolicy.whenChanged(rewriteAfter: 3600).mustWrite(content: "a", lastWrite: last, now: 3699))
        #expect(StoreWritePolicy.whenChanged(rewriteAfter: 3600).mustWrite(content: "a", lastWrite: last, now: 3700))
        #expect(StoreWritePolicy.whenChanged(rewriteAfter: 3600).mustWrite(content: "b", lastWrite: last, now: 101))
        #expect(!StoreWritePolicy.expiring(republishEvery: 300).mustWrite(content: "a", lastWrite: last, now: 399))
        #expect(StoreWritePolicy.expiring(republishEvery: 300).mustWrite(content: "a", lastWrite: last, now: 400))
        #expect(StoreWritePolicy.expiring(republishEvery: 300).mustWrite(content: "b", lastWrite: last, now: 101))
        #expect(StoreWritePolicy.expiring(republishEvery: 300).republishInterval == 300)
        #expect(StoreWritePolicy.always.republishInterval == nil)
    }

    @Test func policiesByPlugin() {
        func policy(_ plugin: PluginConfig, refresh: Double = 600) -> StoreWritePolicy {
            plugin.descriptor(refreshInterval: refresh).writePolicy
        }
        #expect(policy(.cloudflare(zone: "z", token: "t", subdomain: nil, apiURL: nil, dedup: false)) == .whenChanged(rewriteAfter: 3600))
        #expect(policy(.file(directory: "/x")) == .whenChanged(rewriteAfter: 3600))
        #expect(policy(.exec(command: "/p", args: [], dedup: false)) == .always)
        #expect(policy(.shell(command: "/p", dedup: true)) == .whenChanged(rewriteAfter: 3600))
        #expect(policy(.openDHT(endpoints: ["http://h"], magic: "m", timeout: 15, republishInterval: 240), refresh: 3600)
            == .expiring(republishEvery: 240))
    }
}
