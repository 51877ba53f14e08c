import Probes

/// Notices, from successive readings of one WireGuard interface, that the device under the daemon
/// changed in a way that invalidates what it set up: the interface came back after being gone,
/// its listen port changed (our published mapping is for the old one), or it was re-created (every
/// peer's counters went back, its handshakes forgotten). Readings taken while a re-created device
/// is still being configured (no port, no peers yet) are bridged: each peer is compared with the
/// last reading that had it. Pure; the daemon re-discovers its peers and re-opens its ping
/// sockets when this says so.
public struct DeviceWatch: Sendable {
    private var seen = false
    private var gone = false
    private var port: UInt16 = 0
    private var known: [String: (rx: UInt64, handshake: Double)] = [:]

    /// Nothing read yet.
    public init() {}

    /// Takes one reading (nil: the device could not be read); returns what changed, in words,
    /// when something did.
    public mutating func observe(_ device: WireGuardDeviceState?, interface: String) -> String? {
        guard let device else {
            if seen { gone = true }
            return nil
        }
        var change: String?
        if gone {
            change = "\(interface) is back"
        } else if port != 0, device.listenPort != 0, device.listenPort != port {
            change = "\(interface) listen port \(port) -> \(device.listenPort)"
        } else {
            let compared = device.peers.compactMap { now in known[now.publicKeyHex].map { (before: $0, now: now) } }
            let reset = compared.filter { $0.now.rxBytes < $0.before.rx || ($0.before.handshake > 0 && $0.now.lastHandshake == 0) }
            if !compared.isEmpty && reset.count == compared.count { change = "\(interface) re-created" }
        }
        seen = true
        gone = false
        if device.listenPort != 0 { port = device.listenPort }
        for peer in device.peers { known[peer.publicKeyHex] = (peer.rxBytes, peer.lastHandshake) }
        return change
    }
}
