import EventLoop
import Probes
import Record

/// An interface's own keys, as WireGuard holds them.
struct InterfaceKeys {
    /// The device's private key: seals our records and opens the peer's.
    let privateKey: WireGuardKey
    /// Its public key: half of every store key.
    let publicKey: WireGuardKey
}

/// One WireGuard interface at run time: how to reach it, the STUN servers, and the keys last
/// read from it (re-read at every discovery, so a changed key or listen port is picked up).
final class InterfaceRuntime {
    /// The interface name, e.g. "wg0".
    let name: String
    /// The loop everything runs on.
    let loop: EventLoop
    /// UAPI (or, later, netlink).
    let backend: WireGuardBackend
    /// "host:port" STUN servers, tried in order.
    let stunServers: [String]
    /// The keys from the last successful read.
    private(set) var keys: InterfaceKeys?
    /// The device as last read.
    private(set) var lastDevice: WireGuardDeviceState?
    /// One ICMP echo socket per address family, bound to this interface, shared by its peers.
    private var pingers: [Int32: Pinger] = [:]
    /// Notices the device being re-created or its listen port changing (event mode polls).
    var watch = DeviceWatch()

    init(name: String, loop: EventLoop, backend: WireGuardBackend, stunServers: [String]) {
        self.name = name
        self.loop = loop
        self.backend = backend
        self.stunServers = stunServers
    }

    /// The interface's pinger for `family`, made on first use; nil if the socket cannot be
    /// made (no CAP_NET_RAW, interface gone), in which case the error is returned to log.
    func pinger(family: Int32) -> Result<Pinger, PingFailure> {
        if let pinger = pingers[family] { return .success(pinger) }
        do {
            let pinger = try Pinger(loop: loop, interface: name, family: family)
            pingers[family] = pinger
            return .success(pinger)
        } catch {
            return .failure(error)
        }
    }

    /// Closes the ping sockets (pings in flight are forgotten); the next ping opens new ones,
    /// bound to the interface as it is now (a re-created device is a new one).
    func resetPingers() {
        pingers = [:]
    }

    /// Reads the device (kept as `lastDevice`), for the probes; nil if it cannot be read.
    func poll() -> WireGuardDeviceState? {
        guard let device = try? backend.device() else { return nil }
        lastDevice = device
        return device
    }

    /// Reads the device and refreshes `keys`; fails if it has no private key or listen port.
    func readDevice() throws(InterfaceError) -> (WireGuardDeviceState, InterfaceKeys) {
        let device: WireGuardDeviceState
        do { device = try backend.device() } catch { throw InterfaceError(message: "\(error)") }
        lastDevice = device
        guard let hex = device.privateKeyHex, let privateKey = WireGuardKey(hex: hex) else {
            throw InterfaceError(message: "\(name) has no private key")
        }
        guard device.listenPort != 0 else { throw InterfaceError(message: "\(name) has no listen port") }
        let keys = InterfaceKeys(privateKey: privateKey, publicKey: privateKey.publicKey())
        self.keys = keys
        return (device, keys)
    }
}

/// Why an interface could not be used this time.
struct InterfaceError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
