@testable import Supervisor
import Testing

/// Per-peer lines that many peers repeat are summarised (`LogDigest`), alone and in the logger.
@Suite struct LogDigestTests {
    @Test func theFirstLineIsWrittenTheRestOfTheWindowSummarised() {
        var d = LogDigest()
        var written = d.admit(level: .info, message: "published", peer: "p1", now: 10)
        #expect(written)
        #expect(d.nextDue == nil, "nothing held yet")
        var held = 0
        for i in 2...1000 where !d.admit(level: .info, message: "published", peer: "p\(i)", now: 10 + Double(i) / 1000) { held += 1 }
        #expect(held == 999)
        written = d.admit(level: .warning, message: "published", peer: "p2", now: 11)
        #expect(written, "another level is another message")
        #expect(d.nextDue == 15)
        let early = d.due(now: 14.9)
        #expect(early.isEmpty)
        let summaries = d.due(now: 15)
        #expect(summaries == [LogDigest.Summary(level: .info, message: "published", lines: 999, peers: 999,
                                                      examples: ["p2", "p3", "p4"])])
        written = d.admit(level: .info, message: "published", peer: "p1", now: 16)
        #expect(written, "a new window")
    }

    @Test func oneSlowPeerIsWrittenAsItComes() {
        var d = LogDigest()
        var written = 0
        for t in stride(from: 0.0, to: 60, by: 6) where d.admit(level: .warning, message: "retry", peer: "p1", now: t) { written += 1 }
        #expect(written == 10)
        let late = d.due(now: 100)
        #expect(late.isEmpty)
    }

    @Test func theLoggerSummarisesOnlyPerPeerLinesAtInfoAndAbove() {
        let captured = CapturedLines()
        let logger = Logger(format: .logfmt, minimumLevel: .info, sink: { captured.lines.append($0) })
        var now = 100.0
        var scheduled: [Double] = []
        logger.control.digest = LogDigest()
        logger.control.clock = { now }
        logger.control.scheduleSummary = { scheduled.append($0) }
        for i in 1...5 {
            var peer = logger
            peer[metadataKey: "peer"] = "p\(i)"
            peer.info("published", metadata: ["record": "r\(i)"])
            peer.error("store broken")
        }
        logger.info("stunmeshd started")
        logger.info("stunmeshd started")
        #expect(captured.withoutTime.filter { $0.contains("published") } == [" level=info msg=published peer=p1 record=r1"])
        #expect(captured.lines.filter { $0.contains("store broken") }.count == 5, "errors are never held")
        #expect(captured.lines.filter { $0.contains("stunmeshd started") }.count == 2, "lines without a peer are never held")
        #expect(scheduled == [105])
        now = 105
        logger.writeDueSummaries(now: now)
        #expect(captured.withoutTime.last == " level=info msg=published examples=p2,p3,p4 peers=4 repeated=4 within_s=5")

        let debug = CapturedLines()
        let verbose = Logger(format: .logfmt, minimumLevel: .debug, sink: { debug.lines.append($0) })
        verbose.control.digest = LogDigest()
        verbose.control.clock = { now }
        for i in 1...5 { var peer = verbose; peer[metadataKey: "peer"] = "p\(i)"; peer.info("published") }
        #expect(debug.lines.count == 5, "at debug every line is written")
    }
}
