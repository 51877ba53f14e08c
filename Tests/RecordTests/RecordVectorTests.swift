import Record
import Testing

/// The vectors of /work/shared/reference/stunmesh-compat.md, reproduced byte for byte.
@Suite struct RecordVectorTests {
    static let aPrivate = WireGuardKey(base64: "ERERERERERERERERERERERERERERERERERERERERERE=")!
    static let bPrivate = WireGuardKey(base64: "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=")!
    static let plaintext = #"{"ipv4":"203.0.113.7:51820"}"#
    static let nonce: [UInt8] = Array(0...23)
    static let stored = "000102030405060708090a0b0c0d0e0f10111213141516179bb9f9030ec2a44b77214d13a5a26c3420ae70e628a7d8f2189f059fff615c8bd4e63c438e08304191c5201b"

    @Test func storeKeyVector() {
        let own = WireGuardKey(bytes: [UInt8](repeating: 0, count: 32))!
        let peer = WireGuardKey(bytes: [1] + [UInt8](repeating: 0, count: 31))!
        #expect(StoreKey.forRecord(from: own, to: peer) == "37b7dcf21e0e183a9a86170997df242a84a85ff7")
        #expect(StoreKey.forRecord(from: peer, to: own) == "9c8d8e5a31c9802b093c4116dfb0a23a311b8029")
    }

    @Test func workedExampleKeys() {
        #expect(Self.aPrivate.bytes == [UInt8](repeating: 0x11, count: 32))
        #expect(Self.bPrivate.bytes == [UInt8](repeating: 0x22, count: 32))
        #expect(Self.aPrivate.publicKey().base64 == "e06Qm75//kTEZaIgA31gjuNYl9Me+XLwf3SJLLD3PxM=")
        #expect(Self.bPrivate.publicKey().base64 == "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA=")
    }

    @Test func workedExampleStoreKeys() {
        let aPublic = Self.aPrivate.publicKey(), bPublic = Self.bPrivate.publicKey()
        #expect(StoreKey.forRecord(from: aPublic, to: bPublic) == "d2870e322e54620b95bc27b57e63c2b3b8ec3ad5")
        #expect(StoreKey.forRecord(from: bPublic, to: aPublic) == "23cd998a6af0447ddf440c2fd0a66f7ebeec7589")
    }

    @Test func workedExampleSealsToTheStoredValue() throws {
        #expect(Array(Self.plaintext.utf8).count == 28)
        let sealed = try RecordBox.seal(Array(Self.plaintext.utf8), senderPrivate: Self.aPrivate,
                                        receiverPublic: Self.bPrivate.publicKey(), nonce: Self.nonce)
        #expect(sealed == Self.stored)
    }

    @Test func workedExampleOpensBack() throws {
        let opened = try RecordBox.open(Self.stored, receiverPrivate: Self.bPrivate, senderPublic: Self.aPrivate.publicKey())
        #expect(String(decoding: opened, as: UTF8.self) == Self.plaintext)
    }
}
