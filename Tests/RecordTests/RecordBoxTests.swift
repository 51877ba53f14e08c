import Record
import Testing

@Suite struct RecordBoxTests {
    let a = RecordVectorTests.aPrivate
    let b = RecordVectorTests.bPrivate
    let stored = RecordVectorTests.stored

    func open(_ text: String) throws(RecordError) -> [UInt8] {
        try RecordBox.open(text, receiverPrivate: b, senderPublic: a.publicKey())
    }

    @Test func randomNonceRoundTrip() throws {
        let message = Array("hello".utf8)
        let one = try RecordBox.seal(message, senderPrivate: a, receiverPublic: b.publicKey())
        let two = try RecordBox.seal(message, senderPrivate: a, receiverPublic: b.publicKey())
        #expect(one != two)
        #expect(one.count == 2 * (24 + 16 + 5))
        #expect(one == one.lowercased())
        #expect(try open(one) == message)
        #expect(try open(two) == message)
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let sealed = try RecordBox.seal([], senderPrivate: a, receiverPublic: b.publicKey())
        #expect(try open(sealed) == [])
    }

    @Test func toleratesCaseQuotesAndWhitespace() throws {
        let expected = Array(RecordVectorTests.plaintext.utf8)
        #expect(try open(stored.uppercased()) == expected)
        #expect(try open("\"\(stored)\"\n") == expected)
        #expect(try open("  \(stored)\t") == expected)
        let half = stored.index(stored.startIndex, offsetBy: 60)
        #expect(try open("\"\(stored[..<half])\" \"\(stored[half...])\"") == expected)  // split TXT strings
    }

    @Test func flippedByteIsUnauthenticated() {
        for position in [0, 30, 50, stored.count / 2 - 1] {  // nonce, tag, ciphertext, last byte
            var bytes = Array(stored.utf8)
            let i = position * 2 + 1
            bytes[i] = bytes[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(throws: RecordError.unauthenticated) { try open(String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func wrongKeysAreUnauthenticated() {
        let c = WireGuardKey(bytes: [UInt8](repeating: 0x33, count: 32))!
        #expect(throws: RecordError.unauthenticated) {
            try RecordBox.open(stored, receiverPrivate: c, senderPublic: a.publicKey())
        }
        #expect(throws: RecordError.unauthenticated) {
            try RecordBox.open(stored, receiverPrivate: b, senderPublic: c.publicKey())
        }
        // B's own record for A does not open as A's record for B (direction matters).
        #expect(throws: RecordError.unauthenticated) {
            try RecordBox.open(stored, receiverPrivate: a, senderPublic: a.publicKey())
        }
    }

    @Test func truncatedRecordsFail() {
        #expect(throws: RecordError.tooShort(byteCount: 0)) { try open("") }
        #expect(throws: RecordError.tooShort(byteCount: 23)) { try open(String(stored.prefix(46))) }
        #expect(throws: RecordError.tooShort(byteCount: 39)) { try open(String(stored.prefix(78))) }
        #expect(throws: RecordError.unauthenticated) { try open(String(stored.dropLast(2))) }
    }

    @Test func nonHexFails() {
        #expect(throws: RecordError.notHex) { try open("zz" + stored.dropFirst(2)) }
        #expect(throws: RecordError.notHex) { try open(String(stored.dropLast())) }  // odd length
        #expect(throws: RecordError.notHex) { try open("203.0.113.7:51820") }
        #expect(throws: RecordError.notHex) { try open("0x" + stored) }
    }

    @Test func weakPublicKeyIsRefused() {
        let zero = WireGuardKey(bytes: [UInt8](repeating: 0, count: 32))!
        #expect(throws: RecordError.weakKey) {
            try RecordBox.seal([1, 2, 3], senderPrivate: a, receiverPublic: zero)
        }
        #expect(throws: RecordError.unauthenticated) {
            try RecordBox.open(stored, receiverPrivate: b, senderPublic: zero)
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(RecordError.unauthenticated.description.contains("forged"))
        #expect(RecordError.tooShort(byteCount: 3).description.contains("3 bytes"))
        #expect(RecordError.notHex.description == "record is not hex")
    }
}
