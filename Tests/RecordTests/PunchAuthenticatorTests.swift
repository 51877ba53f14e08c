import Record
import Testing

/// The punch tags (docs/first-contact.md): only the pair makes them, in one direction each.
@Suite struct PunchAuthenticatorTests {
    let a = WireGuardKey(base64: "YDJDLPN5Rvj6BMvbLPo7ypQVrOxNZcg/pkXUz73KiFo=")!
    let b = WireGuardKey(base64: "cHpM3bLvhZXYPg6uaDpRU1iHUMV8GLjpbrTyRaVQlGk=")!
    let c = WireGuardKey(base64: "EAZ7U5ij5eyL3+6rYlQkXqyCJ3gYwxiUVymhm7hLQ0U=")!
    let signed: [UInt8] = Array(1...24)

    @Test func thePartnerVerifiesWhatWeSign() throws {
        let ours = try #require(PunchAuthenticator(ownPrivate: a, peerPublic: b.publicKey()))
        let theirs = try #require(PunchAuthenticator(ownPrivate: b, peerPublic: a.publicKey()))
        let tag = ours.tag(sending: signed)
        #expect(tag.count == PunchAuthenticator.tagBytes)
        #expect(theirs.verify(received: signed, tag: tag))
        #expect(!ours.verify(received: signed, tag: tag), "our own punch reflected back does not verify")
        var other = signed
        other[0] ^= 1
        #expect(!theirs.verify(received: other, tag: tag))
        #expect(!theirs.verify(received: signed, tag: Array(tag.dropLast())))
    }

    @Test func aThirdKeyCannotForgeOne() throws {
        let forger = try #require(PunchAuthenticator(ownPrivate: c, peerPublic: b.publicKey()))
        let theirs = try #require(PunchAuthenticator(ownPrivate: b, peerPublic: a.publicKey()))
        #expect(!theirs.verify(received: signed, tag: forger.tag(sending: signed)))
    }

    @Test func aWeakPublicKeyIsRefused() {
        #expect(PunchAuthenticator(ownPrivate: a, peerPublic: WireGuardKey(bytes: [UInt8](repeating: 0, count: 32))!) == nil)
    }
}
