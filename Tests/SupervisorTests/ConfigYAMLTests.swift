@testable import Supervisor
import Testing

@Suite struct ConfigYAMLTests {
    @Test func buildsATreeWithLinesAndStyles() throws {
        let text = """
            # comment
            a: plain
            b: "double"
            c: 'single'
            list:
              - 1
              - [x, y]
            map: { k: v }
            empty:
            """
        let root = try #require(try YAMLParser.parse(text))
        guard case .mapping(let entries) = root.content else { Issue.record("not a mapping"); return }
        #expect(entries.map(\.key) == ["a", "b", "c", "list", "map", "empty"])
        #expect(entries.map(\.line) == [2, 3, 4, 5, 8, 9])
        #expect(entries[0].value == YAMLNode(.scalar("plain", quoted: false), line: 2))
        #expect(entries[1].value == YAMLNode(.scalar("double", quoted: true), line: 3))
        #expect(entries[2].value == YAMLNode(.scalar("single", quoted: true), line: 4))
        #expect(entries[3].value == YAMLNode(.sequence([
            YAMLNode(.scalar("1", quoted: false), line: 6),
            YAMLNode(.sequence([YAMLNode(.scalar("x", quoted: false), line: 7),
                                YAMLNode(.scalar("y", quoted: false), line: 7)]), line: 7),
        ]), line: 6))
        #expect(entries[4].value == YAMLNode(.mapping([
            YAMLNode.Entry(key: "k", line: 8, value: YAMLNode(.scalar("v", quoted: false), line: 8)),
        ]), line: 8))
        #expect(entries[5].value.isNull)
        #expect(!YAMLNode(.scalar("null", quoted: true), line: 1).isNull)
    }

    @Test func emptyInputHasNoDocument() throws {
        #expect(try YAMLParser.parse("") == nil)
        #expect(try YAMLParser.parse("# only a comment\n\n") == nil)
    }

    @Test func syntaxErrorsCarryLibyamlTextAndLine() {
        #expect(throws: YAMLError("mapping values are not allowed in this context", line: 2)) {
            try YAMLParser.parse("a: b\n  c: d\n")
        }
        do {
            _ = try YAMLParser.parse("a:\n  b: [1, 2\nc: 3\n")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("did not find expected ',' or ']'"))
            #expect(error.line == 3)
        }
    }

    @Test func refusesAliasesComplexKeysAndSecondDocuments() {
        #expect(throws: YAMLError("aliases (*name) are not supported", line: 2)) {
            try YAMLParser.parse("a: &x 1\nb: *x\n")
        }
        #expect(throws: YAMLError("mapping keys must be scalars", line: 1)) {
            try YAMLParser.parse("? [a, b]\n: c\n")
        }
        #expect(throws: YAMLError("only one YAML document is allowed", line: 2)) {
            try YAMLParser.parse("a: 1\n---\nb: 2\n")
        }
    }

    @Test func refusesNestingBeyondTheLimitWithoutCrashing() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: YAMLError("nesting is too deep", line: 1)) { try YAMLParser.parse(deep) }
    }

    @Test(arguments: ["a: \u{0}b", "\u{FEFF}a: 1", "\ta: 1", "a:\n\t- b", "{", "]", "'", "a: 'b", "? ? ?", "&a", "!!binary x",
                      "%YAML 2.0\n---\na: 1", "- - - -", "a: |\n  x\n y", "\u{7}", String(repeating: "a: ", count: 1000)])
    func malformedInputIsAnErrorOrATreeNeverACrash(text: String) {
        _ = try? YAMLParser.parse(text)
        _ = try? ConfigLoader.parse(yaml: text)
    }

    @Test func readerErrorsHaveNoLine() {
        do {
            _ = try YAMLParser.parse("a: \u{7}")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("control characters are not allowed"))
            #expect(error.line == nil)
        }
    }
}
