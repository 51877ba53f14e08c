import Probes
import SystemCalls
import Testing

/// The UAPI text protocol against a reply captured from wireguard-go 0.0.20220316 (Debian 12).
@Suite struct UAPIProtocolTests {
    static let captured = "private_key=1011111111111111111111111111111111111111111111111111111111111151\nlisten_port=51820\nfwmark=66\npublic_key=0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20\npreshared_key=0000000000000000000000000000000000000000000000000000000000000000\nprotocol_version=1\nendpoint=203.0.113.20:35436\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=500000000\ntx_bytes=1234\nrx_bytes=5678\npersistent_keepalive_interval=25\nallowed_ip=10.99.0.2/32\nerrno=0\n\n"

    @Test func parsesACapturedDevice() throws {
        let device = try UAPIProtocol.parseDevice(Self.captured)
        #expect(device.privateKeyHex == "1011111111111111111111111111111111111111111111111111111111111151")
        #expect(device.listenPort == 51820)
        #expect(device.fwmark == 66)
        #expect(device.peers.count == 1)
        let peer = try #require(device.peer("0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20"))
        #expect(peer.endpoint == Endpoint("203.0.113.20:35436"))
        #expect(peer.lastHandshake == 1_700_000_000.5)
        #expect(peer.txBytes == 1234)
        #expect(peer.rxBytes == 5678)
        #expect(peer.persistentKeepalive == 25)
    }

    @Test func parsesSeveralPeersAndIPv6Endpoints() throws {
        let text = "listen_port=1\npublic_key=\(String(repeating: "a", count: 64))\nendpoint=[2001:db8::1]:51820\npublic_key=\(String(repeating: "b", count: 64))\nrx_bytes=7\nerrno=0\n\n"
        let device = try UAPIProtocol.parseDevice(text)
        #expect(device.privateKeyHex == nil)
        #expect(device.peers.map(\.publicKeyHex) == [String(repeating: "a", count: 64), String(repeating: "b", count: 64)])
        #expect(device.peers[0].endpoint == Endpoint("[2001:db8::1]:51820"))
        #expect(device.peers[1].endpoint == nil)
        #expect(device.peers[1].rxBytes == 7)
    }

    @Test func aNonZeroErrnoIsRefused() {
        #expect(throws: WireGuardError.refused(errno: -22)) { try UAPIProtocol.parseDevice("errno=-22\n\n") }
    }

    @Test(arguments: ["listen_port=70000\nerrno=0\n\n", "listen_port=1\n\n", "garbage\nerrno=0\n\n",
                      "public_key=xyz\nerrno=0\n\n", "public_key=\(String(repeating: "a", count: 64))\nendpoint=nope\nerrno=0\n\n",
                      "errno=x\n\n"])
    func malformedRepliesAreErrorsNotCrashes(_ text: String) {
        #expect(throws: WireGuardError.self) { try UAPIProtocol.parseDevice(text) }
    }

    /// The errno is the reply's last `errno=` line, read from the end (a 1,000-peer reply is ~300 kB).
    @Test func theErrnoIsTheLastErrnoLine() throws {
        #expect(try UAPIProtocol.errno(of: "errno=0\n\n") == 0)
        #expect(try UAPIProtocol.errno(of: "errno=5\nlisten_port=1\nerrno=-22\n\n") == -22)
        #expect(try UAPIProtocol.errno(of: "errno=7") == 7, "no newline at all")
        #expect(try UAPIProtocol.errno(of: "\n\n\nerrno=3\n\n\n") == 3)
        #expect(throws: WireGuardError.self) { try UAPIProtocol.errno(of: "") }
        #expect(throws: WireGuardError.self) { try UAPIProtocol.errno(of: "\n\n") }
        #expect(throws: WireGuardError.self) { try UAPIProtocol.errno(of: "listen_port=1\nxerrno=0\n\n") }
        #expect(throws: WireGuardError.self) { try UAPIProtocol.errno(of: "errno=\n\n") }
        // A large device still parses whole.
        let peers = (0..<1000).map { i in
            "public_key=\(String(format16(i)))\nendpoint=203.0.113.\(i % 250 + 1):\(1000 + i)\nrx_bytes=\(i)\ntx_bytes=1\nallowed_ip=10.200.\(i / 250).\(i % 250 + 1)/32\n"
        }.joined()
        let device = try UAPIProtocol.parseDevice("private_key=\(String(repeating: "a", count: 64))\nlisten_port=51820\n" + peers + "errno=0\n\n")
        #expect(device.peers.count == 1000 && device.peers[999].rxBytes == 999 && device.listenPort == 51820)
    }

    /// A 64-character lowercase hex key made from `i`.
    private func format16(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    @Test func setRequestTouchesOnlyEndpointAndKeepalive() {
        let text = UAPIProtocol.setPeerRequest(publicKeyHex: "ab", endpoint: Endpoint("203.0.113.7:51820")!, persistentKeepalive: 25)
        #expect(text == "set=1\npublic_key=ab\nupdate_only=true\nendpoint=203.0.113.7:51820\npersistent_keepalive_interval=25\n\n")
        let v6 = UAPIProtocol.setPeerRequest(publicKeyHex: "ab", endpoint: Endpoint("[2001:db8::1]:1")!, persistentKeepalive: nil)
        #expect(v6 == "set=1\npublic_key=ab\nupdate_only=true\nendpoint=[2001:db8::1]:1\n\n")
    }
}
