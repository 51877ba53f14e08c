import Glibc
import JSON

/// Entry points for the fuzz targets (fuzz/, docs/fuzzing.md): the parsers of outside input that
/// are internal to this module, one call each. Each returns a number derived from what it parsed,
/// so that the optimizer cannot drop the parse. The daemon does not use them.
public enum ProbesFuzzEntry {
    /// A generic-netlink reply as it comes from the kernel: split into messages, then read as the
    /// controller's family reply and as a WireGuard device dump.
    public static func wireGuardNetlink(_ datagram: [UInt8]) -> Int {
        guard let messages = try? NetlinkMessage.split(datagram) else { return 0 }
        var n = messages.count
        if let id = try? WireGuardNetlinkProtocol.familyID(from: messages) { n &+= Int(id) }
        if let dump = try? WireGuardNetlinkProtocol.device(from: messages) { n &+= dump.state.peers.count }
        return n
    }

    /// An rtnetlink datagram (route and address events).
    public static func routeMessages(_ datagram: [UInt8]) -> Int {
        datagram.withUnsafeBytes { (try? RouteMessageDecoder.decode($0).count) ?? 0 }
    }

    /// A packet from a raw ping socket: IPv4 (with its IP header) or ICMPv6.
    public static func icmpReply(_ packet: [UInt8], ipv6: Bool) -> Int {
        guard let echo = try? ICMPEcho(reply: packet, family: ipv6 ? AF_INET6 : AF_INET) else { return 0 }
        return Int(echo.identifier) &+ Int(echo.sequence)
    }

    /// An OpenDHT proxy's answer body: the newest envelope with stunmesh-go's magic.
    public static func openDHTBody(_ body: [UInt8]) -> Int {
        guard let envelope = OpenDHTStore.newestEnvelope(in: body, magic: "stunmesh-v1") else { return 0 }
        return envelope.ts &+ envelope.data.utf8.count
    }
}
