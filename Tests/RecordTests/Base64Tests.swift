import Record
import Testing

@Suite struct Base64Tests {
    @Test func encodesAndDecodesRFC4648Vectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                       ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0, 0xff, 0xfe, 0x3e, 0x3f]
        #expect(Base64.encode(bytes) == "AP/+Pj8=")
        #expect(Base64.decode("AP/+Pj8=") == bytes)
    }

    @Test func rejectsWhatGoStdEncodingRejects() {
        for bad in ["Zg", "Zg=", "Zm9v\n", " Zm9v", "Zm9v!", "AP_-Pj8=", "Zm9vYg==Zm9v", "===="] {
            #expect(Base64.decode(bad) == nil, "accepted \(bad)")
        }
    }
}
