import CLinuxNet
import EventLoop
import Glibc
import Probes
import SystemCalls
import Testing

/// The tap that wakes an idle daemon at the first packet into a WireGuard interface, on a veth
/// pair between two throwaway namespaces (as root; skipped otherwise).
@Suite(.serialized) struct TunnelTapTests {
    @Test(.enabled(if: getuid() == 0)) func onlyThePacketsSentOutThroughTheInterfaceWakeItOnce() throws {
        let near = try PingTestNamespace(), far = try PingTestNamespace()
        defer { near.delete(); far.delete() }
        // A veth pair (this kernel has no dummy driver) with no IPv6 link-local addresses (their
        // router solicitations would be traffic) and static neighbours (no ARP): only the test's
        // datagrams cross it.
        try near.ip("link", "set", "lo", "up")
        try near.ip("link", "add", "tap0", "address", "02:00:00:00:00:01", "type", "veth",
                    "peer", "name", "tap1", "address", "02:00:00:00:00:02", "netns", far.name)
        try near.ip("link", "set", "tap0", "addrgenmode", "none")
        try far.ip("link", "set", "tap1", "addrgenmode", "none")
        try near.ip("addr", "add", "10.77.0.1/24", "dev", "tap0")
        try far.ip("addr", "add", "10.77.0.2/24", "dev", "tap1")
        try near.ip("neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:02", "dev", "tap0")
        try far.ip("neigh", "add", "10.77.0.1", "lladdr", "02:00:00:00:00:01", "dev", "tap1")
        try near.ip("link", "set", "tap0", "up")
        try far.ip("link", "set", "tap1", "up")

        let loop = EventLoop()
        var woken = 0
        let (tap, sender, sink) = try near.inside { () throws -> (TunnelTap, Int32, Int32) in
            let tap = try TunnelTap(loop: loop, interface: "tap0") { woken += 1 }
            let sink = try Sys.socket(AF_INET, clinuxnet_sock_dgram(), 0)
            try Endpoint("10.77.0.1:9999")!.withSockaddr { address, length in try Sys.bind(sink, address, length) }
            return (tap, try Sys.socket(AF_INET, clinuxnet_sock_dgram(), 0), sink)
        }
        let farSender = try far.inside { try Sys.socket(AF_INET, clinuxnet_sock_dgram(), 0) }
        defer { Sys.close(sender); Sys.close(sink); Sys.close(farSender) }
        let guardTimer = TimerWatcher(loop: loop) { loop.stop() }

        // Not seen: another interface's traffic (loopback), and what comes *in* through tap0.
        try Sys.send(sender, [1], to: Endpoint("127.0.0.1:9")!)
        try Sys.send(farSender, [1], to: Endpoint("10.77.0.1:9999")!)
        guardTimer.start(after: 0.1)
        loop.run()
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect((try? Sys.recv(sink, into: &buffer, flags: Int32(MSG_DONTWAIT))) == 1, "the inbound datagram arrived")
        #expect(woken == 0)
        #expect(tap.isOpen)

        // Two datagrams out through tap0: one wake, and the tap is closed.
        try Sys.send(sender, [1], to: Endpoint("10.77.0.2:9")!)
        try Sys.send(sender, [2], to: Endpoint("10.77.0.2:9")!)
        guardTimer.start(after: 0.2)
        loop.run()
        #expect(woken == 1)
        #expect(!tap.isOpen)
    }

    @Test(.enabled(if: getuid() == 0)) func anInterfaceThatDoesNotExistIsAnError() {
        #expect(throws: Errno.self) { try TunnelTap(loop: EventLoop(), interface: "nosuchwg9") {} }
    }
}
