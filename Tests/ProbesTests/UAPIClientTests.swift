import Glibc
import Probes
import SystemCalls
import Testing

/// UAPIClient against a real wireguard-go (Debian package), started in a network namespace of
/// its own (`unshare -n`) so no interface appears on the host; its socket is reached through the
/// shared file system.
@Suite(.serialized) struct UAPIClientTests {
    @Test func readsAndSetsARealWireGuardGo() throws {
        let name = "wgt\(getpid() % 100000)"
        let wg = try RealWireGuardGo(interface: name)
        defer { wg.stop() }
        try wg.run("wg", "set", name, "private-key", "/dev/stdin", "listen-port", "51999", "fwmark", "0x42",
                   "peer", "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA=", "allowed-ips", "10.99.0.2/32",
                   stdin: "ERERERERERERERERERERERERERERERERERERERERERE=\n")
        let client = UAPIClient(interface: name)
        let before = try client.device()
        #expect(before.listenPort == 51999)
        #expect(before.fwmark == 0x42)
        let peerHex = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20"
        #expect(before.peer(peerHex)?.endpoint == nil)

        try client.setPeer(publicKeyHex: peerHex, endpoint: Endpoint("203.0.113.20:35436")!, persistentKeepalive: 25)
        let after = try client.device()
        #expect(after.peer(peerHex)?.endpoint == Endpoint("203.0.113.20:35436"))
        #expect(after.peer(peerHex)?.persistentKeepalive == 25)
        #expect(after.privateKeyHex == before.privateKeyHex)
        #expect(after.listenPort == before.listenPort)
        #expect(after.peers.count == 1)

        // update_only: a peer WireGuard does not have is never created (wireguard-go skips it
        // silently; the kernel may refuse).
        try? client.setPeer(publicKeyHex: String(repeating: "c", count: 64), endpoint: Endpoint("203.0.113.1:1")!, persistentKeepalive: nil)
        #expect(try client.device().peers.count == 1)
    }

    @Test func aMissingInterfaceSaysSo() {
        #expect(throws: WireGuardError.noSuchInterface("nosuchwg0")) { try UAPIClient(interface: "nosuchwg0").device() }
    }
}
