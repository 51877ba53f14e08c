import Record
import SystemCalls
import Testing

@Suite struct EndpointRecordTests {
    let v4 = Endpoint("203.0.113.7:51820")!
    let v6 = Endpoint("[2001:db8::1]:51820")!

    @Test func writesLikeStunmeshGo() {
        #expect(EndpointRecord(ipv4: v4, ipv6: v6).json() == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}"#)
        #expect(EndpointRecord(ipv4: v4).json() == #"{"ipv4":"203.0.113.7:51820"}"#)
        #expect(EndpointRecord(ipv6: v6).json() == #"{"ipv6":"[2001:db8::1]:51820"}"#)
    }

    @Test func writesIPv6InRFC5952Form() throws {
        let loose = try #require(Endpoint("[2001:0DB8:0:0:0:0:0:0001]:443"))
        #expect(EndpointRecord(ipv6: loose).json() == #"{"ipv6":"[2001:db8::1]:443"}"#)
    }

    @Test func workedExampleRecord() throws {
        let opened = try RecordBox.open(RecordVectorTests.stored, receiverPrivate: RecordVectorTests.bPrivate,
                                        senderPublic: RecordVectorTests.aPrivate.publicKey())
        let record = try EndpointRecord(json: String(decoding: opened, as: UTF8.self))
        #expect(record == EndpointRecord(ipv4: v4))
        #expect(record.json() == RecordVectorTests.plaintext)
    }

    @Test func readsBackWhatItWrites() throws {
        for record in [EndpointRecord(ipv4: v4, ipv6: v6), EndpointRecord(ipv4: v4), EndpointRecord(ipv6: v6)] {
            #expect(try EndpointRecord(json: record.json()) == record)
        }
    }

    @Test func ignoresUnknownFieldsAndNulls() throws {
        let record = try EndpointRecord(json: #"{"ts":1700000000,"ipv6":"[2001:db8::1]:51820","ipv4":null,"x":{"y":[1]}}"#)
        #expect(record == EndpointRecord(ipv6: v6, timestamp: 1_700_000_000))
        #expect(try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820","ts":null}"#) == EndpointRecord(ipv4: v4))
        #expect(try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820","ipv6":""}"#) == EndpointRecord(ipv4: v4))
    }

    @Test func writesTheNatFieldOnlyForSymmetricFamiliesAfterTheEndpoints() {
        #expect(EndpointRecord(ipv4: v4, ipv6: v6, symmetricNAT: [.ipv6, .ipv4]).json()
            == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820","nat":{"ipv4":"symmetric","ipv6":"symmetric"}}"#)
        #expect(EndpointRecord(ipv4: v4, symmetricNAT: [.ipv4]).json()
            == #"{"ipv4":"203.0.113.7:51820","nat":{"ipv4":"symmetric"}}"#)
        // Nothing symmetric: exactly stunmesh-go's bytes.
        #expect(EndpointRecord(ipv4: v4, ipv6: v6, symmetricNAT: []).json()
            == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}"#)
    }

    @Test func readsRecordsWithAndWithoutTheNatField() throws {
        let with = try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820","nat":{"ipv4":"symmetric"}}"#)
        #expect(with == EndpointRecord(ipv4: v4, symmetricNAT: [.ipv4]))
        let without = try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820"}"#)
        #expect(without.symmetricNAT.isEmpty)
        let both = EndpointRecord(ipv4: v4, ipv6: v6, symmetricNAT: [.ipv4])
        #expect(try EndpointRecord(json: both.json()) == both)
        // Advice only: a malformed or unknown nat value is ignored, never an error.
        for nat in [#""symmetric""#, "12", "null", "[]", #"{"ipv4":"cone","ipv6":7}"#, #"{"ipv9":"symmetric"}"#] {
            let record = try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820","nat":"# + nat + "}")
            #expect(record == EndpointRecord(ipv4: v4), "nat \(nat)")
        }
    }

    /// The timestamp goes after ipv4/ipv6, whose bytes stay exactly stunmesh-go's.
    @Test func writesTheTimestampAfterTheEndpoints() throws {
        let stamped = EndpointRecord(ipv4: v4, ipv6: v6, timestamp: 1_700_000_000)
        #expect(stamped.json() == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820","ts":1700000000}"#)
        #expect(stamped.json().hasPrefix(String(EndpointRecord(ipv4: v4, ipv6: v6).json().dropLast())))
        #expect(EndpointRecord(ipv4: v4, timestamp: 0).json() == #"{"ipv4":"203.0.113.7:51820","ts":0}"#)
        #expect(try EndpointRecord(json: stamped.json()) == stamped)
        #expect(stamped.endpoints == EndpointRecord(ipv4: v4, ipv6: v6))
        #expect(stamped.endpoints.json() == #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}"#)
    }

    /// A record exactly as stunmesh-go writes it (no ts) parses, with no timestamp.
    @Test func aStunmeshGoRecordWithoutTimestampStillParses() throws {
        let go = try EndpointRecord(json: #"{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::1]:51820"}"#)
        #expect(go == EndpointRecord(ipv4: v4, ipv6: v6))
        #expect(go.timestamp == nil)
    }

    @Test func rejectsBadTimestamps() {
        for bad in [#""1700000000""#, "1.5", "-1", "true", "[1]", "1e300"] {
            #expect(throws: RecordError.badTimestamp) { try EndpointRecord(json: "{\"ipv4\":\"203.0.113.7:1\",\"ts\":\(bad)}") }
        }
    }

    @Test func natAndTimestampTogether() throws {
        let record = EndpointRecord(ipv4: v4, symmetricNAT: [.ipv4], timestamp: 5)
        #expect(record.json() == #"{"ipv4":"203.0.113.7:51820","nat":{"ipv4":"symmetric"},"ts":5}"#)
        #expect(try EndpointRecord(json: record.json()) == record)
    }

    @Test func rejectsWrongTypes() {
        #expect(throws: RecordError.wrongType(field: "ipv4")) { try EndpointRecord(json: #"{"ipv4":12}"#) }
        #expect(throws: RecordError.wrongType(field: "ipv6")) { try EndpointRecord(json: #"{"ipv4":"203.0.113.7:1","ipv6":["x"]}"#) }
        #expect(throws: RecordError.notAnObject) { try EndpointRecord(json: #""203.0.113.7:51820""#) }  // pre-1.5.1 record
        #expect(throws: RecordError.notAnObject) { try EndpointRecord(json: "[]") }
    }

    @Test func rejectsTheWrongFamily() {
        #expect(throws: RecordError.wrongFamily(field: "ipv4", text: "[2001:db8::1]:51820")) {
            try EndpointRecord(json: #"{"ipv4":"[2001:db8::1]:51820"}"#)
        }
        #expect(throws: RecordError.wrongFamily(field: "ipv6", text: "203.0.113.7:51820")) {
            try EndpointRecord(json: #"{"ipv6":"203.0.113.7:51820"}"#)
        }
    }

    @Test func rejectsBadEndpoints() {
        for bad in ["203.0.113.7", "203.0.113.7:99999", "host.example:1", "2001:db8::1:51820", "[2001:db8::1]"] {
            #expect(throws: RecordError.badEndpoint(field: "ipv4", text: bad)) {
                try EndpointRecord(json: "{\"ipv4\":\"\(bad)\"}")
            }
        }
        let long = String(repeating: "x", count: 500)
        #expect { try EndpointRecord(json: "{\"ipv4\":\"\(long)\"}") } throws: { error in
            "\(error)".count < 200
        }
    }

    @Test func rejectsEmptyRecordsAndBadJSON() {
        #expect(throws: RecordError.noEndpoint) { try EndpointRecord(json: "{}") }
        #expect(throws: RecordError.noEndpoint) { try EndpointRecord(json: #"{"ipv4":"","ipv6":null}"#) }
        #expect { try EndpointRecord(json: "{\"ipv4\":") } throws: { error in
            guard case .badJSON = error as? RecordError else { return false }
            return true
        }
    }
}
