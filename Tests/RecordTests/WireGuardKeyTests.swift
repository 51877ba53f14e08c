import Record
import Testing

@Suite struct WireGuardKeyTests {
    let base64 = "ERERERERERERERERERERERERERERERERERERERERERE="

    @Test func textForms() throws {
        let key = try #require(WireGuardKey(base64: base64))
        #expect(key.base64 == base64)
        #expect(key.hex == String(repeating: "11", count: 32))
        #expect(WireGuardKey(hex: String(repeating: "11", count: 32)) == key)
        #expect(WireGuardKey(hex: String(repeating: "AB", count: 32))?.hex == String(repeating: "ab", count: 32))
        #expect(WireGuardKey(bytes: key.bytes) == key)
    }

    @Test func rejectsMalformedBase64() {
        #expect(WireGuardKey(base64: "") == nil)
        #expect(WireGuardKey(base64: String(base64.dropLast())) == nil)  // no padding
        #expect(WireGuardKey(base64: base64 + "=") == nil)
        #expect(WireGuardKey(base64: base64 + "AAAA") == nil)  // 35 bytes
        #expect(WireGuardKey(base64: "ERERERERERERERERERERERERERERERERERERERERERE") == nil)
        #expect(WireGuardKey(base64: "ERERERERERERERERERERERERERERERERERERERERER==") == nil)  // 31 bytes
        #expect(WireGuardKey(base64: "ERERERERERERERERERERERERERERERERERERERERER-=") == nil)  // URL-safe alphabet
        #expect(WireGuardKey(base64: " " + base64) == nil)
        #expect(WireGuardKey(base64: "not a key at all") == nil)
    }

    @Test func rejectsMalformedHexAndBytes() {
        #expect(WireGuardKey(hex: String(repeating: "1", count: 63)) == nil)
        #expect(WireGuardKey(hex: String(repeating: "11", count: 33)) == nil)
        #expect(WireGuardKey(hex: String(repeating: "g1", count: 32)) == nil)
        #expect(WireGuardKey(bytes: [1, 2, 3]) == nil)
        #expect(WireGuardKey(bytes: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test func neverPrintsItsBytes() throws {
        let key = try #require(WireGuardKey(base64: base64))
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(describing: key), String(reflecting: key), dumped, "\([key])"] {
            #expect(!text.contains("ERER") && !text.contains("1111") && !text.contains("17, 17"), "\(text)")
        }
        #expect("\(key)" == "WireGuardKey(…)")
    }
}
