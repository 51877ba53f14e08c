@testable import Stun
import SystemCalls
import Testing

@Suite struct StunMessageParsingTests {
    @Test func sampleRequestParsesAndItsFingerprintVerifies() throws {
        let message = try StunMessage(parsing: RFC5769.request)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID.bytes == RFC5769.transactionID)
        #expect(message.software == "STUN test client")
        #expect(message.fingerprint == 0xe57a3bcf)
        #expect(message.attributes.map(\.type) == [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
        #expect(message.attributes[3].value == Array("evtj:h6vY".utf8))
        #expect(message.mappedAddress == nil)
        #expect(throws: StunParseError.notAResponse) { try StunBindingResponse(message) }
    }

    @Test func sampleIPv4ResponseGivesItsMappedAddress() throws {
        let message = try StunMessage(parsing: RFC5769.ipv4Response)
        #expect(message.type == .bindingSuccess)
        #expect(message.transactionID.bytes == RFC5769.transactionID)
        #expect(message.software == "test vector")
        #expect(message.fingerprint == 0xc07d4c96)
        #expect(message.xorMappedAddress == Endpoint("192.0.2.1:32853"))
        #expect(message.plainMappedAddress == nil)
        #expect(try StunBindingResponse(message) == .mapped(Endpoint("192.0.2.1:32853")!))
    }

    @Test func sampleIPv6ResponseGivesItsMappedAddress() throws {
        let message = try StunMessage(parsing: RFC5769.ipv6Response)
        #expect(message.type == .bindingSuccess)
        #expect(message.fingerprint == 0xc8fb0b4c)
        #expect(message.mappedAddress == Endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
    }

    @Test(arguments: RFC5769.Vector.allCases)
    func everyTruncationThrows(_ named: RFC5769.Vector) {
        let vector = named.bytes
        for length in 0..<vector.count {
            #expect(throws: StunParseError.self) { try StunMessage(parsing: Array(vector.prefix(length))) }
        }
    }

    @Test(arguments: RFC5769.Vector.allCases)
    func truncationWithAPatchedLengthNeverKeepsAFingerprint(_ named: RFC5769.Vector) {
        let vector = named.bytes
        // Cut at an attribute boundary or not, with the header length patched to match, so the
        // length check alone cannot catch it.
        for length in stride(from: 20, to: vector.count, by: 1) {
            var cut = Array(vector.prefix(length))
            cut[2] = UInt8((length - 20) >> 8)
            cut[3] = UInt8((length - 20) & 0xFF)
            if let message = try? StunMessage(parsing: cut) {
                #expect(message.fingerprint == nil, "cut at \(length) kept a fingerprint")
            }
        }
    }

    @Test func flippedBitInTheFingerprintedRegionFailsTheFingerprint() {
        let vector = RFC5769.ipv4Response
        // Transaction ID, SOFTWARE value, MESSAGE-INTEGRITY value: value bytes only, so nothing
        // but the CRC can notice.
        let valueRanges = [8..<20, 24..<36, 52..<72]
        for range in valueRanges {
            for index in range {
                for bit in 0..<8 {
                    var flipped = vector
                    flipped[index] ^= 1 << bit
                    #expect(throws: StunParseError.badFingerprint) { try StunMessage(parsing: flipped) }
                }
            }
        }
        // Any bit anywhere before FINGERPRINT's value: an error or, at worst, no fingerprint.
        for index in 0..<(vector.count - 4) {
            for bit in 0..<8 {
                var flipped = vector
                flipped[index] ^= 1 << bit
                if let message = try? StunMessage(parsing: flipped) {
                    #expect(message.fingerprint == nil, "bit \(bit) of byte \(index)")
                }
            }
        }
    }

    @Test func flippedBitInTheFingerprintItselfFails() {
        var flipped = RFC5769.ipv6Response
        flipped[flipped.count - 1] ^= 0x01
        #expect(throws: StunParseError.badFingerprint) { try StunMessage(parsing: flipped) }
    }

    @Test func headerChecks() {
        var topBits = RFC5769.ipv4Response
        topBits[0] |= 0x80
        #expect(throws: StunParseError.notStun) { try StunMessage(parsing: topBits) }

        var cookie = RFC5769.ipv4Response
        cookie[4] = 0x22
        #expect(throws: StunParseError.badCookie) { try StunMessage(parsing: cookie) }

        var oddLength = RFC5769.ipv4Response
        oddLength[3] = 0x3b
        #expect(throws: StunParseError.badLength) { try StunMessage(parsing: oddLength) }

        #expect(throws: StunParseError.badLength) { try StunMessage(parsing: RFC5769.ipv4Response + [0, 0, 0, 0]) }
        #expect(throws: StunParseError.truncated) { try StunMessage(parsing: []) }
    }

    @Test func attributeRunningPastTheEndIsBad() {
        let id = StunTransactionID()
        var message = StunMessage.encode(type: .bindingSuccess, transactionID: id,
                                         attributes: [StunAttribute(type: 0x7777, value: [1, 2, 3, 4])],
                                         fingerprint: false)
        message[22] = 0x00
        message[23] = 0x05  // 5 bytes, padded to 8: past the end
        #expect(throws: StunParseError.badAttribute(0x7777)) { try StunMessage(parsing: message) }
    }

    @Test func fingerprintMustBeLast() {
        let id = StunTransactionID()
        var message = StunMessage.encode(type: .bindingSuccess, transactionID: id, attributes: [], fingerprint: true)
        message += [0x80, 0x22, 0x00, 0x00]
        message[3] += 4
        #expect(throws: StunParseError.fingerprintNotLast) { try StunMessage(parsing: message) }
    }

    @Test func malformedAddressesAreBadAttributes() {
        let id = StunTransactionID()
        let badValues: [[UInt8]] = [
            [0, 1, 0, 0],                           // too short for IPv4
            [0, 3, 0, 0, 1, 2, 3, 4],               // unknown family
            [0, 2, 0, 0, 1, 2, 3, 4],               // IPv6 family, IPv4 length
            [0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8],   // IPv4 family, too long
        ]
        for type in [StunAttributeType.xorMappedAddress, StunAttributeType.mappedAddress] {
            for value in badValues {
                let message = StunMessage.encode(type: .bindingSuccess, transactionID: id,
                                                 attributes: [StunAttribute(type: type, value: value)], fingerprint: true)
                #expect(throws: StunParseError.badAttribute(type)) { try StunMessage(parsing: message) }
            }
        }
    }

    @Test func mappedAddressPrefersTheXorOne() throws {
        let id = StunTransactionID()
        let xor = Endpoint("203.0.113.7:51820")!
        let plain = Endpoint("198.51.100.1:1")!
        let both = StunMessage.encode(type: .bindingSuccess, transactionID: id, attributes: [
            StunAttribute(type: StunAttributeType.mappedAddress, value: StunAddressCoding.encode(plain, xorWith: nil)),
            StunAttribute(type: StunAttributeType.xorMappedAddress, value: StunAddressCoding.encode(xor, xorWith: id)),
        ], fingerprint: false)
        let message = try StunMessage(parsing: both)
        #expect(message.plainMappedAddress == plain)
        #expect(message.xorMappedAddress == xor)
        #expect(message.mappedAddress == xor)

        let plainOnly = StunMessage.encode(type: .bindingSuccess, transactionID: id, attributes: [
            StunAttribute(type: StunAttributeType.mappedAddress, value: StunAddressCoding.encode(plain, xorWith: nil)),
        ], fingerprint: false)
        #expect(try StunBindingResponse(StunMessage(parsing: plainOnly)) == .mapped(plain))
    }

    @Test func ipv6XorUsesTheTransactionID() throws {
        let id = StunTransactionID()
        let endpoint = Endpoint("[2001:db8::42]:3478")!
        let value = StunAddressCoding.encode(endpoint, xorWith: id)
        #expect(try StunAddressCoding.decode(value, type: 0x20, xorWith: id) == endpoint)
        let other = StunTransactionID()
        #expect(try StunAddressCoding.decode(value, type: 0x20, xorWith: other) != endpoint)
    }

    @Test func bindingErrorResponseExposesErrorCode() throws {
        let id = StunTransactionID()
        let errorValue: [UInt8] = [0, 0, 4, 20] + Array("Unknown Attribute".utf8)
        let bytes = StunMessage.encode(type: .bindingError, transactionID: id,
                                       attributes: [StunAttribute(type: StunAttributeType.errorCode, value: errorValue)],
                                       fingerprint: true)
        let message = try StunMessage(parsing: bytes)
        #expect(message.type == .bindingError)
        #expect(message.errorCode == StunErrorCode(code: 420, reason: "Unknown Attribute"))
        #expect(try StunBindingResponse(message) == .error(StunErrorCode(code: 420, reason: "Unknown Attribute")))
    }

    @Test func malformedErrorCodeIsBad() {
        let id = StunTransactionID()
        for value: [UInt8] in [[0, 0, 4], [0, 0, 2, 0], [0, 0, 4, 100], [0, 0, 7, 0]] {
            let bytes = StunMessage.encode(type: .bindingError, transactionID: id,
                                           attributes: [StunAttribute(type: StunAttributeType.errorCode, value: value)],
                                           fingerprint: false)
            #expect(throws: StunParseError.badAttribute(StunAttributeType.errorCode)) { try StunMessage(parsing: bytes) }
        }
    }

    @Test func successWithoutAddressIsNoMappedAddress() throws {
        let bytes = StunMessage.encode(type: .bindingSuccess, transactionID: StunTransactionID(), attributes: [],
                                       fingerprint: true)
        #expect(throws: StunParseError.noMappedAddress) { try StunBindingResponse(StunMessage(parsing: bytes)) }
    }

    @Test func otherMethodsAreNotAResponse() throws {
        let allocate = StunMessageType(method: 0x003, messageClass: .successResponse)
        let bytes = StunMessage.encode(type: allocate, transactionID: StunTransactionID(), attributes: [
            StunAttribute(type: StunAttributeType.xorMappedAddress,
                          value: [0, 1, 0, 0, 0, 0, 0, 0]),
        ], fingerprint: false)
        #expect(throws: StunParseError.notAResponse) { try StunBindingResponse(StunMessage(parsing: bytes)) }
    }

    @Test func messageTypeInterleavesTheClassBits() {
        #expect(StunMessageType.bindingRequest.rawValue == 0x0001)
        #expect(StunMessageType(method: 1, messageClass: .indication).rawValue == 0x0011)
        #expect(StunMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(StunMessageType.bindingError.rawValue == 0x0111)
        #expect(StunMessageType(method: 0xFFF, messageClass: .errorResponse).rawValue == 0x3FFF)
        for raw in UInt16(0)...0x3FFF {
            #expect(StunMessageType(rawValue: raw)?.rawValue == raw)
        }
        #expect(StunMessageType(rawValue: 0x4001) == nil)
    }
}
