import SystemCalls

/// The text of WireGuard's cross-platform userspace API (wireguard.com/xplatform): building the
/// two requests stunmeshd sends and parsing the answers. Pure, so it is tested on captured text.
public enum UAPIProtocol {
    /// The request that reads the whole device.
    public static let getRequest = "get=1\n\n"

    /// The request that sets one existing peer's endpoint and keepalive. `update_only=true`
    /// makes WireGuard refuse instead of creating a peer that is not there.
    public static func setPeerRequest(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) -> String {
        var text = "set=1\npublic_key=\(publicKeyHex)\nupdate_only=true\nendpoint=\(endpoint)\n"
        if let keepalive = persistentKeepalive { text += "persistent_keepalive_interval=\(keepalive)\n" }
        return text + "\n"
    }

    /// The request that sets only one existing peer's persistent keepalive.
    public static func setKeepaliveRequest(publicKeyHex: String, persistentKeepalive: Int) -> String {
        "set=1\npublic_key=\(publicKeyHex)\nupdate_only=true\npersistent_keepalive_interval=\(persistentKeepalive)\n\n"
    }

    /// Whether a reply is complete (it ends with an empty line).
    public static func isComplete(_ reply: [UInt8]) -> Bool {
        reply.count >= 2 && reply[reply.count - 1] == 0x0A && reply[reply.count - 2] == 0x0A
    }

    /// The errno a reply ends with (the last `errno=N` line); throws if there is none. Read from
    /// the end, byte by byte: a 1,000-peer dump is ~300 kB, and splitting all of it into lines
    /// (Characters, grapheme by grapheme) to find its last one took an eighth of a hub's CPU.
    public static func errno(of reply: String) throws(WireGuardError) -> Int32 {
        let bytes = reply.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex {
            var start = end
            while start > bytes.startIndex, bytes[bytes.index(before: start)] != 0x0A { start = bytes.index(before: start) }
            let line = Substring(bytes[start..<end])
            if line.hasPrefix("errno=") {
                guard let value = Int32(line.dropFirst(6)) else { throw .malformed("bad errno line \(line)") }
                return value
            }
            guard start > bytes.startIndex else { break }
            end = bytes.index(before: start)
        }
        throw .malformed("no errno line")
    }

    /// Parses the reply to `get=1` into a device state. Unknown keys are skipped (newer
    /// WireGuard versions add some); a bad value for a known key is an error.
    public static func parseDevice(_ reply: String) throws(WireGuardError) -> WireGuardDeviceState {
        let code = try errno(of: reply)
        guard code == 0 else { throw .refused(errno: code) }
        var device = WireGuardDeviceState()
        var peer: WireGuardPeerState?
        var handshakeSeconds: Int64 = 0
        var handshakeNanos: Int64 = 0
        func finishPeer() {
            guard var p = peer else { return }
            p.lastHandshake = Double(handshakeSeconds) + Double(handshakeNanos) / 1e9
            device.peers.append(p)
            peer = nil
            handshakeSeconds = 0
            handshakeNanos = 0
        }
        // Lines split on the byte: a Character split walks grapheme boundaries through ~300 kB on a
        // 1,000-peer device, read every poll.
        for bytes in reply.utf8.split(separator: 0x0A) {
            let line = Substring(bytes)
            guard let eq = line.firstIndex(of: "=") else { throw .malformed("line without '=': \(line)") }
            let key = line[..<eq]
            let value = String(line[line.index(after: eq)...])
            func number<T: FixedWidthInteger>(_: T.Type) throws(WireGuardError) -> T {
                guard let n = T(value) else { throw .malformed("\(key)=\(value)") }
                return n
            }
            switch key {
            case "public_key":
                finishPeer()
                guard isKeyHex(value) else { throw .malformed("public_key") }
                peer = WireGuardPeerState(publicKeyHex: value)
            case "errno":
                continue
            case _ where peer != nil:
                switch key {
                case "endpoint":
                    guard let e = Endpoint(value) else { throw .malformed("endpoint=\(value)") }
                    peer?.endpoint = e
                case "last_handshake_time_sec": handshakeSeconds = try number(Int64.self)
                case "last_handshake_time_nsec": handshakeNanos = try number(Int64.self)
                case "rx_bytes": peer?.rxBytes = try number(UInt64.self)
                case "tx_bytes": peer?.txBytes = try number(UInt64.self)
                case "persistent_keepalive_interval": peer?.persistentKeepalive = Int(try number(UInt16.self))
                case "allowed_ip": peer?.allowedIPs.append(value)
                default: continue
                }
            case "private_key":
                guard isKeyHex(value) else { throw .malformed("private_key") }
                device.privateKeyHex = value
            case "listen_port": device.listenPort = try number(UInt16.self)
            case "fwmark": device.fwmark = try number(UInt32.self)
            default: continue
            }
        }
        finishPeer()
        return device
    }

    static func isKeyHex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
