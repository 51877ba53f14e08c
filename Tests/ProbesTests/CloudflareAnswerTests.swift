import JSON
@testable import Probes
import Testing

/// `CloudflareAnswer`, the pure reading of the API's answers (outside input: the API, a proxy, a
/// captive portal).
@Suite struct CloudflareAnswerTests {
    func answer(_ status: Int, _ body: String, headers: [String] = []) -> CloudflareAnswer {
        CloudflareAnswer.read(HTTPResponse(status: status, body: Array(body.utf8), headers: headers), longestRetryAfter: 3600)
    }

    @Test(arguments: [("30", 30.0 as Double?), ("1e19", 3600), ("-5", nil), ("nan", nil), ("inf", nil),
                      ("", nil), ("Wed, 21 Oct 2015 07:28:00 GMT", nil), ("0", 0)])
    func retryAfterIsBelievedOnlyWithinBounds(header: String, seconds: Double?) {
        #expect(answer(429, "{}", headers: ["Retry-After: \(header)"]) == .rateLimited(retryAfter: seconds))
    }

    @Test func aSuccessNeedsTheFlagAnd2xx() {
        #expect(answer(200, #"{"success":true,"result":[]}"#) == .ok(try! JSONValue(parsing: #"{"success":true,"result":[]}"#)))
        guard case .refused(let text) = answer(500, #"{"success":true}"#) else { Issue.record("a 500 is no success"); return }
        #expect(text.contains("HTTP 500"))
        guard case .refused(let why) = answer(403, #"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"},{"message":7}]}"#) else {
            Issue.record("refused expected"); return
        }
        #expect(why.contains("Invalid access token (code 9109)"), "\(why)")
        guard case .refused(let portal) = answer(200, "<html>captive portal</html>") else { Issue.record("not JSON"); return }
        #expect(portal.contains("not a JSON object") && portal.contains("captive portal"))
        guard case .refused = answer(200, "[1,2]") else { Issue.record("an array is no envelope"); return }
    }

    @Test func lookupsCheckEveryField() throws {
        func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }
        #expect(CloudflareAnswer.zoneID(in: try json(#"{"result":[{"id":"abc123"}]}"#)) == .found("abc123"))
        #expect(CloudflareAnswer.zoneID(in: try json(#"{"result":[]}"#)) == .none)
        #expect(CloudflareAnswer.zoneID(in: try json(#"{"result":{}}"#)) == .malformed("no result array"))
        #expect(CloudflareAnswer.zoneID(in: try json(#"{"result":[{"id":"../../zones"}]}"#)) == .malformed("result[0].id is not an identifier"))
        #expect(CloudflareAnswer.firstRecord(in: try json(#"{"result":[{"id":"r1","content":"\"ab\" \"cd\""}]}"#))
                == .found(.init(id: "r1", content: "abcd")))
        #expect(CloudflareAnswer.firstRecord(in: try json(#"{"result":[{"id":"r1","content":5}]}"#)) == .malformed("result[0].content is not a string"))
        #expect(CloudflareAnswer.createdID(in: try json(#"{"result":{"id":"r2"}}"#)) == "r2")
        #expect(CloudflareAnswer.createdID(in: try json(#"{"result":{"id":"a b"}}"#)) == nil)
    }
}

/// The exec and shell plugins' replies, read without running anything.
@Suite struct PluginReplyTests {
    @Test func execReplies() throws {
        func reply(_ text: String) -> Result<JSONValue, PluginStore.ReplyProblem> { PluginStore.execReply(Array(text.utf8)) }
        guard case .success(let ok) = reply("{\"success\":true,\"value\":\" 00ff \"}\ntrailing noise") else {
            Issue.record("a success with trailing output is a success"); return
        }
        #expect(try PluginStore.execValue(ok).get() == "00ff")
        guard case .failure(let failed) = reply(#"{"success":false,"error":"quota"}"#) else { Issue.record("failure expected"); return }
        #expect(failed.description == "failed: quota")
        guard case .failure(let truthy) = reply(#"{"success":"true"}"#) else { Issue.record("only the JSON true counts"); return }
        #expect(truthy.description == "failed: no error text")
        guard case .failure(let garbage) = reply("not json") else { Issue.record("garbage is an error"); return }
        #expect(garbage.description.contains("printed no JSON object"))
        guard case .success(let number) = reply(#"{"success":true,"value":5}"#) else { Issue.record("success expected"); return }
        #expect(throws: PluginStore.ReplyProblem.self) { try PluginStore.execValue(number).get() }
        guard case .success(let blank) = reply(#"{"success":true,"value":"  "}"#) else { Issue.record("success expected"); return }
        #expect(try PluginStore.execValue(blank).get() == nil)
    }

    @Test func shellValues() {
        #expect(PluginStore.shellValue(Array(" 00ff\n".utf8)) == "00ff")
        #expect(PluginStore.shellValue(Array("\n\n".utf8)) == nil)
    }
}
