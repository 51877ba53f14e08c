@testable import Stun
import Testing

@Suite struct StunEncodingTests {
    let id = StunTransactionID(bytes: RFC5769.transactionID)!

    @Test func bindingRequestWithPaddedSoftwareAndFingerprint() throws {
        let bytes = StunMessage.bindingRequest(transactionID: id, software: "stunmeshd")
        // Computed independently (Python struct + zlib.crc32).
        let expected: [UInt8] = [
            0x00, 0x01, 0x00, 0x18, 0x21, 0x12, 0xa4, 0x42,
            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
            0x80, 0x22, 0x00, 0x09, 0x73, 0x74, 0x75, 0x6e, 0x6d, 0x65, 0x73, 0x68, 0x64, 0x00, 0x00, 0x00,
            0x80, 0x28, 0x00, 0x04, 0x5f, 0xc9, 0x7e, 0xa4,
        ]
        #expect(bytes == expected)
        let message = try StunMessage(parsing: bytes)
        #expect(message.type == .bindingRequest)
        #expect(message.software == "stunmeshd")
        #expect(message.fingerprint == 0x5fc97ea4)
    }

    @Test func sampleRequestSoftwareGivesTheSameFingerprintAsPython() throws {
        let bytes = StunMessage.bindingRequest(transactionID: id, software: "STUN test client")
        #expect(bytes.count == 20 + 20 + 8)
        #expect(Array(bytes[20..<40]) == Array(RFC5769.request[20..<40]))
        #expect(try StunMessage(parsing: bytes).fingerprint == 0xcbd62af5)
    }

    @Test func bareBindingRequest() throws {
        let bytes = StunMessage.bindingRequest(transactionID: id, software: nil, fingerprint: false)
        #expect(bytes == [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + RFC5769.transactionID)
        let message = try StunMessage(parsing: bytes)
        #expect(message.attributes.isEmpty)
        #expect(message.fingerprint == nil)
    }

    @Test func softwareIsCutAtACharacterBoundary() throws {
        let long = String(repeating: "é", count: 500)  // 1000 bytes
        let bytes = StunMessage.bindingRequest(transactionID: id, software: long)
        let message = try StunMessage(parsing: bytes)
        #expect(message.software == String(repeating: "é", count: 381))
        #expect(bytes.count % 4 == 0)
    }

    @Test func transactionIDsAreRandomAndTwelveBytes() {
        let a = StunTransactionID()
        let b = StunTransactionID()
        #expect(a.bytes.count == 12)
        #expect(a != b)
        #expect(StunTransactionID(bytes: [1, 2, 3]) == nil)
        #expect(id.description == "b7e7a701bc34d686fa87dfae")
    }
}
