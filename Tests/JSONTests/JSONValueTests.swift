import JSON
import Testing

@Suite struct JSONValueTests {
    @Test func encodesRecordLikeGo() {
        let record = JSONValue.object([("ipv4", .string("203.0.113.7:51820")), ("ipv6", .string("[2001:db8::1]:51820"))])
        #expect(record.encoded() == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}"#)
        #expect(JSONValue.object([("ipv4", .string("203.0.113.7:51820"))]).encoded() == #"{"ipv4":"203.0.113.7:51820"}"#)
    }

    @Test func keepsMemberOrderBothWays() throws {
        let text = #"{"z":1,"a":2,"m":{"y":true,"b":null}}"#
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(value["m"]?.objectValue?.map(\.0) == ["y", "b"])
        #expect(value.encoded() == text)
    }

    @Test func parsesEveryKind() throws {
        let value = try JSONValue(parsing: #" {"s":"h\u00e9\n","i":-42,"r":1.5,"t":true,"f":false,"n":null,"a":[1,"x",[]]} "#)
        #expect(value["s"]?.stringValue == "hé\n")
        #expect(value["i"]?.intValue == -42)
        #expect(value["r"]?.numberValue == 1.5)
        #expect(value["r"]?.intValue == nil)
        #expect(value["t"]?.boolValue == true)
        #expect(value["f"]?.boolValue == false)
        #expect(value["n"]?.isNull == true)
        #expect(value["a"]?[1]?.stringValue == "x")
        #expect(value["a"]?[2] == .array([]))
        #expect(value["a"]?[3] == nil)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["x"] == nil)
    }

    @Test func acceptsScalarsAtTopLevel() throws {
        #expect(try JSONValue(parsing: "\"hi\"") == .string("hi"))
        #expect(try JSONValue(parsing: "3") == .number(3))
        #expect(JSONValue.string("hi").encoded() == "\"hi\"")
        #expect(JSONValue.null.encoded() == "null")
    }

    @Test func numbersWriteLikeGo() {
        #expect(JSONValue.number(51820).encoded() == "51820")
        #expect(JSONValue.number(-3).encoded() == "-3")
        #expect(JSONValue.number(1.5).encoded() == "1.5")
        #expect(JSONValue.number(1_700_000_000).encoded() == "1700000000")
        #expect(JSONValue.number(.nan).encoded() == "null")
    }

    @Test func escapesStrings() throws {
        let tricky = "quote\" backslash\\ tab\t nul\u{0} slash/ é 😀"
        let text = JSONValue.string(tricky).encoded()
        #expect(text == #""quote\" backslash\\ tab\t nul\u0000 slash/ é 😀""#)
        #expect(try JSONValue(parsing: text) == .string(tricky))
    }

    @Test func keysWithNULAreWrittenButNotRead() {
        // Jansson can write a NUL in a key but refuses one when reading: an error, not a crash.
        let text = JSONValue.object([("a\u{0}b", .bool(true))]).encoded()
        #expect(text == #"{"a\u0000b":true}"#)
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
    }

    @Test func lastDuplicateWins() throws {
        let value = try JSONValue(parsing: #"{"k":1,"k":2}"#)
        #expect(value["k"]?.intValue == 2)
        #expect(JSONValue.object([("k", .number(1)), ("k", .number(2))]).encoded() == #"{"k":2}"#)
    }

    @Test func reportsWhereParsingFailed() {
        #expect { try JSONValue(parsing: "{\n  \"a\": tru\n}") } throws: { error in
            guard let e = error as? JSONError else { return false }
            return e.line == 2 && e.column > 0 && !e.text.isEmpty && e.description.contains("line 2")
        }
        #expect(throws: JSONError.self) { try JSONValue(parsing: "") }
        #expect(throws: JSONError.self) { try JSONValue(parsing: "{} x") }
        #expect(throws: JSONError.self) { try JSONValue(parsing: "[1,]") }
        #expect(throws: JSONError.self) { try JSONValue(parsing: "{\"a\":1}\u{0}") }
    }

    @Test func allowTrailingReadsTheFirstValue() throws {
        let value = try JSONValue(parsing: "{\"success\":true}\nlog line\n", allowTrailing: true)
        #expect(value["success"]?.boolValue == true)
    }

    @Test func objectEqualityIsOrdered() {
        #expect(JSONValue.object([("a", .null), ("b", .null)]) != JSONValue.object([("b", .null), ("a", .null)]))
        #expect(JSONValue.object([("a", .null)]) == JSONValue.object([("a", .null)]))
        #expect(JSONValue.array([.number(1)]) != JSONValue.array([.number(1), .number(1)]))
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(throws: JSONError.self) { try JSONValue(parsing: deep) }
    }
}
