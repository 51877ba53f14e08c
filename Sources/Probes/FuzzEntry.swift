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

    /// An answer of Cloudflare's API: two bytes of status (modulo 600), header lines up to an empty
    /// line, then the body; read as the envelope and, when it is a success, as each lookup's result.
    public static func cloudflareAnswer(_ input: [UInt8]) -> Int {
        guard input.count >= 2 else { return 0 }
        let status = (Int(input[0]) << 8 | Int(input[1])) % 600
        var rest = input[2...]
        var headers: [String] = []
        while let newline = rest.firstIndex(of: 0x0a) {
            let line = rest[..<newline]
            rest = rest[(newline + 1)...]
            if line.isEmpty { break }
            headers.append(String(decoding: line, as: UTF8.self))
        }
        let response = HTTPResponse(status: status, body: Array(rest), headers: headers)
        switch CloudflareAnswer.read(response, longestRetryAfter: CloudflareStore.longestRetryAfter) {
        case .rateLimited(let seconds): return seconds.map { Int($0) } ?? 1
        case .refused(let text): return text.utf8.count
        case .ok(let json):
            var n = 2
            if case .found(let id) = CloudflareAnswer.zoneID(in: json) { n &+= id.utf8.count }
            if case .found(let record) = CloudflareAnswer.firstRecord(in: json) { n &+= record.content.utf8.count }
            n &+= CloudflareAnswer.createdID(in: json)?.utf8.count ?? 0
            return n
        }
    }

    /// A store plugin's stdout, read as an exec plugin's reply (and its value) and as a shell
    /// plugin's value.
    public static func pluginOutput(_ stdout: [UInt8]) -> Int {
        var n = PluginStore.shellValue(stdout)?.utf8.count ?? 0
        switch PluginStore.execReply(stdout) {
        case .failure(let problem): n &+= problem.description.utf8.count
        case .success(let reply):
            if case .success(let value) = PluginStore.execValue(reply) { n &+= value?.utf8.count ?? 1 }
        }
        return n
    }
}
