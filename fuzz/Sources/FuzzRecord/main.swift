import FuzzDriver
import Record

// A record from a store: the sealed value (hex of nonce and box) opened with fixed keys, and the
// endpoint JSON inside; what parses must encode to JSON that parses to the same record.
let receiver = WireGuardKey(base64: "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=")!
let sender = WireGuardKey(base64: "EREREREREREREREREREREREREREREREREREREREREBE=")!.publicKey()

fuzz { bytes in
    guard let source = text(bytes) else { return 0 }
    var n = 0
    if let plaintext = try? RecordBox.open(source, receiverPrivate: receiver, senderPublic: sender) { n &+= plaintext.count }
    if let record = try? EndpointRecord(json: source) {
        let json = record.json()
        guard let again = try? EndpointRecord(json: json), again == record else { fatalError("record round trip: \(json)") }
        n &+= json.utf8.count
    }
    return n
}
