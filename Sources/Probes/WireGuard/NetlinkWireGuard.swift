import CLibMNL
import Glibc
import SystemCalls

/// Kernel WireGuard through generic netlink (the "wireguard" family of linux/wireguard.h),
/// with libmnl for the messages. Each call opens a netlink socket, resolves the family id (it
/// changes when the module is reloaded) and does one exchange, so no state can go stale.
public final class NetlinkWireGuard: WireGuardBackend {
    /// The interface name, e.g. "wg0".
    public let interface: String
    /// Receive and send timeout in seconds.
    public let timeout: Double
    /// How often a dump that the kernel flags as interrupted (devices or peers changed during
    /// it) is asked again before the last answer is used as it is.
    static let dumpAttempts = 3
    private var sequence: UInt32

    /// A client for kernel WireGuard interface `interface`.
    public init(interface: String, timeout: Double = 2) {
        self.interface = interface
        self.timeout = timeout
        self.sequence = UInt32(truncatingIfNeeded: WallClock.unixSeconds())
    }

    /// WG_CMD_GET_DEVICE: the whole device. Throws `.noSuchInterface` when the module is not
    /// loaded, the interface does not exist, or it is not a kernel WireGuard interface.
    public func device() throws(WireGuardError) -> WireGuardDeviceState {
        try checkName()
        let socket = try GenericNetlinkSocket(timeout: timeout)
        let family = try familyID(socket)
        var attempt = 1
        while true {
            let sequence = nextSequence()
            let request = WireGuardNetlinkProtocol.getDeviceRequest(familyID: family, interface: interface, sequence: sequence)
            let reply: NetlinkReplyCollector
            do { reply = try socket.exchange(request, sequence: sequence) } catch { throw mapped(error) }
            if reply.wasInterrupted && attempt < Self.dumpAttempts {
                attempt += 1
                continue
            }
            return try WireGuardNetlinkProtocol.device(from: reply.messages).state
        }
    }

    /// WG_CMD_SET_DEVICE with WGPEER_F_UPDATE_ONLY: only this peer's endpoint and keepalive.
    public func setPeer(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) throws(WireGuardError) {
        try set(publicKeyHex: publicKeyHex, endpoint: endpoint, persistentKeepalive: persistentKeepalive)
    }

    /// WG_CMD_SET_DEVICE with only the peer's key, WGPEER_F_UPDATE_ONLY and its keepalive.
    public func setKeepalive(publicKeyHex: String, persistentKeepalive: Int) throws(WireGuardError) {
        try set(publicKeyHex: publicKeyHex, endpoint: nil, persistentKeepalive: persistentKeepalive)
    }

    private func set(publicKeyHex: String, endpoint: Endpoint?, persistentKeepalive: Int?) throws(WireGuardError) {
        try checkName()
        guard let key = KeyHex.decode(publicKeyHex), key.count == Int(WG_KEY_LEN) else { throw .refused(errno: EINVAL) }
        var keepalive: UInt16?
        if let persistentKeepalive {
            guard let value = UInt16(exactly: persistentKeepalive) else { throw .refused(errno: EINVAL) }
            keepalive = value
        }
        let socket = try GenericNetlinkSocket(timeout: timeout)
        let family = try familyID(socket)
        let sequence = nextSequence()
        let request = WireGuardNetlinkProtocol.setPeerRequest(familyID: family, interface: interface, publicKey: key,
                                                              endpoint: endpoint, persistentKeepalive: keepalive,
                                                              sequence: sequence)
        do { _ = try socket.exchange(request, sequence: sequence) } catch { throw mapped(error) }
    }

    private func familyID(_ socket: GenericNetlinkSocket) throws(WireGuardError) -> UInt16 {
        let sequence = nextSequence()
        do {
            let reply = try socket.exchange(WireGuardNetlinkProtocol.getFamilyRequest(sequence: sequence), sequence: sequence)
            return try WireGuardNetlinkProtocol.familyID(from: reply.messages)
        } catch .refused(errno: ENOENT) {
            throw .noSuchInterface(interface)  // no "wireguard" family: the module is not loaded
        }
    }

    /// ENODEV (no such device) and EOPNOTSUPP (a device that is not kernel WireGuard, such as
    /// wireguard-go's tun) both mean "not a kernel WireGuard interface".
    private func mapped(_ error: WireGuardError) -> WireGuardError {
        switch error {
        case .refused(errno: ENODEV), .refused(errno: EOPNOTSUPP): return .noSuchInterface(interface)
        default: return error
        }
    }

    /// Names are 1 to 15 bytes (IFNAMSIZ 16 with its NUL).
    private func checkName() throws(WireGuardError) {
        let length = interface.utf8.count
        guard length > 0, length < 16, !interface.utf8.contains(0) else { throw .noSuchInterface(interface) }
    }

    private func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }
}
