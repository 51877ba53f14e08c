import Record
import Testing

/// Interop with libsodium outside Swift: Debian's PyNaCl (python3-nacl) opens what Swift seals
/// and seals what Swift opens.
@Suite struct PyNaClInteropTests {
    let a = RecordVectorTests.aPrivate
    let b = RecordVectorTests.bPrivate

    static let preamble = """
        import sys
        try:
            from nacl.public import Box, PrivateKey, PublicKey
        except ImportError:
            sys.exit("python3-nacl is not installed (apt-get install python3-nacl); it is needed for this interop test")
        """

    @Test func pynaclOpensWhatSwiftSeals() throws {
        let plaintext = #"{"ipv4":"198.51.100.9:40000","ipv6":"[2001:db8::2]:40000"}"#
        let stored = try RecordBox.seal(Array(plaintext.utf8), senderPrivate: a, receiverPublic: b.publicKey())
        let script = Self.preamble + """

            receiver, sender, stored = sys.argv[1:4]
            data = bytes.fromhex(stored)
            box = Box(PrivateKey(bytes.fromhex(receiver)), PublicKey(bytes.fromhex(sender)))
            sys.stdout.write(box.decrypt(data[24:], data[:24]).decode())
            """
        let run = try runPython(script, [b.hex, a.publicKey().hex, stored])
        #expect(run.status == 0, "python3 failed: \(run.stderr)")
        #expect(run.stdout == plaintext)
    }

    @Test func swiftOpensWhatPyNaClSeals() throws {
        let plaintext = #"{"ipv6":"[2001:db8::3]:51820","from":"pynacl"}"#
        let script = Self.preamble + """

            from nacl.utils import random
            sender, receiver, message = sys.argv[1:4]
            box = Box(PrivateKey(bytes.fromhex(sender)), PublicKey(bytes.fromhex(receiver)))
            sys.stdout.write(box.encrypt(message.encode(), random(24)).hex())
            """
        let run = try runPython(script, [a.hex, b.publicKey().hex, plaintext])
        #expect(run.status == 0, "python3 failed: \(run.stderr)")
        let opened = try RecordBox.open(run.stdout, receiverPrivate: b, senderPublic: a.publicKey())
        #expect(String(decoding: opened, as: UTF8.self) == plaintext)
    }

    @Test func pynaclAgreesOnTheVector() throws {
        let script = Self.preamble + """

            sender, receiver = sys.argv[1:3]
            box = Box(PrivateKey(bytes.fromhex(sender)), PublicKey(bytes.fromhex(receiver)))
            sys.stdout.write(box.encrypt(b'{"ipv4":"203.0.113.7:51820"}', bytes(range(24))).hex())
            """
        let run = try runPython(script, [a.hex, b.publicKey().hex])
        #expect(run.status == 0, "python3 failed: \(run.stderr)")
        #expect(run.stdout == RecordVectorTests.stored)
    }
}
