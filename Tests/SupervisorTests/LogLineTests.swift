import SystemCalls
@testable import Supervisor
import Testing

/// Lines a logger wrote, kept for the test to read.
final class CapturedLines: @unchecked Sendable {
    var lines: [String] = []
    /// The lines with the `ts=…`/`"ts":"…"` field, which changes every run, taken out.
    var withoutTime: [String] {
        lines.map { line in
            if line.hasPrefix("ts=") { return String(line.drop { $0 != " " }) }
            if line.hasPrefix("{\"ts\":\"") { return "{" + String(line.dropFirst(7).drop { $0 != "\"" }.dropFirst(2)) }
            return line
        }
    }
}

/// The log line formats: logfmt and JSON, stunmesh-go's level names, sorted keys, escaping.
@Suite struct LogLineTests {
    func logger(_ format: Logger.LineFormat, _ level: Logger.Level? = .trace, into captured: CapturedLines) -> Logger {
        Logger(format: format, minimumLevel: level, sink: { captured.lines.append($0) })
    }

    @Test func logfmtLineHasTimeLevelMessageThenSortedKeys() throws {
        let captured = CapturedLines()
        logger(.logfmt, into: captured).info("discovered", metadata: ["peer": "peer_b", "mapped": "203.0.113.10:35436"])
        #expect(captured.withoutTime == [" level=info msg=discovered mapped=203.0.113.10:35436 peer=peer_b"])
        let ts = try #require(captured.lines.first?.split(separator: " ").first)
        #expect(ts.count == "ts=2024-01-02T03:04:05.678Z".count && ts.hasPrefix("ts=20") && ts.hasSuffix("Z"))
        #expect(ts.dropFirst(13).first == "T" && ts.dropFirst(22).first == ".")
    }

    @Test func levelsUseStunmeshGoNames() {
        let captured = CapturedLines()
        let log = logger(.logfmt, into: captured)
        log.trace("t"); log.debug("d"); log.info("i"); log.notice("n"); log.warning("w"); log.error("e"); log.critical("c")
        #expect(captured.withoutTime == [" level=trace msg=t", " level=debug msg=d", " level=info msg=i", " level=info msg=n",
                                         " level=warn msg=w", " level=error msg=e", " level=fatal msg=c"])
    }

    @Test func messagesBelowTheLevelAndEverythingWhenDisabledAreDropped() {
        let captured = CapturedLines()
        let log = logger(.logfmt, .warning, into: captured)
        log.info("no"); log.warning("yes"); log.log(level: .debug, "no"); log.log(level: .error, "yes too")
        #expect(captured.withoutTime == [" level=warn msg=yes", " level=error msg=\"yes too\""])
        logger(.logfmt, nil, into: captured).critical("never")
        #expect(captured.lines.count == 2)
    }

    @Test func messagesBelowTheLevelAreNeverBuilt() {
        let captured = CapturedLines()
        var built = 0
        func message() -> String { built += 1; return "built" }
        func metadata() -> Logger.Metadata { built += 1; return ["k": "v"] }
        let log = logger(.logfmt, .info, into: captured)
        log.debug(message(), metadata: metadata())
        logger(.logfmt, nil, into: captured).error(message(), metadata: metadata())
        #expect(built == 0 && captured.lines.isEmpty)
        log.info(message(), metadata: metadata())
        #expect(built == 2 && captured.withoutTime == [" level=info msg=built k=v"])
    }

    @Test func configLevelsMapOntoLoggerLevels() {
        #expect(LogLevelSetting.allCases.map { StunmeshdMain.minimumLevel($0) }
                == [.trace, .debug, .info, .warning, .error, .critical, .critical, nil])
    }

    @Test func logfmtQuotesAndEscapesValuesThatNeedIt() {
        let captured = CapturedLines()
        logger(.logfmt, into: captured).warning("say \"hi\"\\ now", metadata: [
            "empty": "", "eq": "a=b", "lines": "one\ntwo\tthree\u{1}", "plain": "x:1,y"])
        #expect(captured.withoutTime == [
            #" level=warn msg="say \"hi\"\\ now" empty="" eq="a=b" lines="one\ntwo\tthree\u0001" plain=x:1,y"#])
    }

    @Test func jsonLineIsOneObjectWithTheSameFields() {
        let captured = CapturedLines()
        logger(.json, into: captured).error("store \"cf\" failed", metadata: ["store": "cf", "b": "x\ny"])
        #expect(captured.withoutTime == [#"{"level":"error","msg":"store \"cf\" failed","b":"x\ny","store":"cf"}"#])
        #expect(captured.lines.first?.hasPrefix("{\"ts\":\"20") == true)
    }

    @Test func jsonWritesNumbersAndBooleansAsSuchAndNamesAsText() {
        let captured = CapturedLines()
        logger(.json, into: captured).info("m", metadata: [
            "rtt_ms": "12.5", "peers": "3", "neg": "-0.25", "exp": "1e3", "ok": "true", "peer": "42", "store": "7",
            "port": "051", "endpoint": "203.0.113.20:35436", "dur": "1.5 s", "dot": "1.", "plus": "+1"])
        #expect(captured.withoutTime == [#"{"level":"info","msg":"m","dot":"1.","dur":"1.5 s","endpoint":"203.0.113.20:35436","#
            + #""exp":1e3,"neg":-0.25,"ok":true,"peer":"42","peers":3,"plus":"+1","port":"051","rtt_ms":12.5,"store":"7"}"#])
    }

    @Test func loggerMetadataJoinsEveryLineAndTheMessageMetadataWins() {
        let captured = CapturedLines()
        var log = logger(.logfmt, into: captured)
        log[metadataKey: "peer"] = "peer_b"
        log[metadataKey: "interface"] = "wg0"
        log.info("set", metadata: ["peer": "other", "endpoint": "203.0.113.20:35436"])
        log.info("bare")
        #expect(captured.withoutTime == [" level=info msg=set endpoint=203.0.113.20:35436 interface=wg0 peer=other",
                                         " level=info msg=bare interface=wg0 peer=peer_b"])
    }
}

/// States and steps print as words in log lines, never as Swift type names.
@Suite struct StateWordsTests {
    @Test func statesAndStepsPrintAsWords() {
        #expect("\(PeerStateMachine.State.waitingToRetry(.readRemote))" == "waiting to retry (read remote)")
        #expect("\(PeerStateMachine.State.awaitingRemote)" == "awaiting remote")
        #expect("\(PeerStateMachine.Step.discover)" == "discover")
        #expect(!"\(PeerStateMachine.State.configuring(Endpoint("203.0.113.20:1")!))".contains("Supervisor."))
    }
}
