import EventLoop
import Probes
import Record
import Stun
import SystemCalls

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
    /// UAPI, netlink, or the auto choice between them.
    let backend: WireGuardBackend
    /// The config's `backend` choice the backend was chosen by (a reload with another one makes
    /// a new interface runtime).
    let backendChoice: WireGuardBackendChoice
    /// "host:port" STUN servers, tried in order (a reload may change them, restarting the peers).
    var stunServers: [String]
    /// The keys from the last successful read.
    private(set) var keys: InterfaceKeys?
    /// The device as last read.
    private(set) var lastDevice: WireGuardDeviceState?
    /// One ICMP echo socket per address family, bound to this interface, shared by its peers.
    private var pingers: [Int32: Pinger] = [:]
    /// The families it discovers and publishes (config `protocol`; the daemon sets it).
    var `protocol`: InterfaceProtocol = .ipv4
    /// The NAT behaviour in front of WireGuard's port, per family, as last judged (for status).
    private(set) var natBehaviour: [IPFamily: NatBehaviour] = [:]
    /// Notices the device being re-created or its listen port changing (event mode polls).
    var watch = DeviceWatch()
    /// One STUN exchange per WireGuard port, shared by the interface's peers.
    private(set) lazy var discovery = PortDiscovery(loop: loop)
    /// The raw sockets that hear the partners' punches while some peer opens its path.
    private(set) lazy var punches = PunchHub(loop: loop)

    init(name: String, loop: EventLoop, backend: WireGuardBackend, backendChoice: WireGuardBackendChoice = .auto,
         stunServers: [String]) {
        self.name = name
        self.loop = loop
        self.backend = backend
        self.backendChoice = backendChoice
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

    /// Records what a discovery judged; true when it changed what was known (to log once per
    /// interface, whichever peer's discovery saw it). `.unknown` (too few servers answered this
    /// time) never replaces a known behaviour.
    func noteNatBehaviour(_ behaviour: NatBehaviour, family: IPFamily) -> Bool {
        guard behaviour != .unknown || natBehaviour[family] == nil, natBehaviour[family] != behaviour else { return false }
        natBehaviour[family] = behaviour
        return true
    }

    /// Records the port's mapping in `family` as a discovery found it; true when it differs from
    /// the one recorded before (so it is logged once per interface at info, not once per peer:
    /// every peer's discovery shares the port's exchange).
    func noteMapping(_ mapped: Endpoint, family: IPFamily) -> Bool {
        guard loggedMapping[family] != mapped else { return false }
        loggedMapping[family] = mapped
        return true
    }
    private var loggedMapping: [IPFamily: Endpoint] = [:]

    /// One STUN exchange from WireGuard's port as last read (shared through `discovery` with any
    /// peer's in flight), for the idle mapping check and a silent path's check; nothing when the
    /// device has not been read yet. Completes on the loop.
    func checkMapping(completion: @escaping (DiscoveryOutcome) -> Void) {
        guard let device = lastDevice else { return }
        let families = self.protocol.families
        _ = discovery.discover(families: families, port: device.listenPort, fwmark: device.fwmark,
                               servers: stunServers) { results in
            completion(DiscoveryOutcome(families: families, results: results))
        }
    }

    /// The families whose NAT is known to be symmetric (our records say so to the peer).
    var symmetricFamilies: Set<IPFamily> { Set(natBehaviour.filter { $0.value == .symmetric }.keys) }

    /// Closes the ping sockets (pings in flight are forgotten); the next ping opens new ones,
    /// bound to the interface as it is now (a re-created device is a new one).
    func resetPingers() {
        pingers = [:]
    }

    /// Reads the device (kept as `lastDevice`), for the probes; nil if it cannot be read.
    func poll() -> WireGuardDeviceState? {
        guard let device = try? backend.device() else { return nil }
        lastDevice = device
        lastDeviceAt = loop.now
        return device
    }

    /// The device as read at most `maxAge` seconds ago, or read now; nil if it cannot be read. A
    /// thousand peers starting (or reading their partners' records) together share one read: a
    /// 1,000-peer UAPI dump is ~300 kB of text, and reading it once per peer took 25 s at start.
    func device(maxAge: Double) -> WireGuardDeviceState? {
        if let lastDevice, let at = lastDeviceAt, loop.now - at <= maxAge { return lastDevice }
        return poll()
    }

    /// When `lastDevice` was read (loop time).
    private var lastDeviceAt: Double?

    /// The device for a health snapshot: the last read if it is at most `maxAge` seconds old (in
    /// event mode the poll's, every `poll_interval` at most), else a read now, with the reason
    /// when there is none (the status shows it). `fresh` says the read was made now. A 1,000-peer
    /// dump costs milliseconds to parse: reading it again for every status refresh was a fifth of
    /// a hub's CPU.
    func snapshotDevice(maxAge: Double) -> (device: Result<WireGuardDeviceState, WireGuardError>, fresh: Bool) {
        if let lastDevice, let at = lastDeviceAt, loop.now - at <= maxAge { return (.success(lastDevice), false) }
        do throws(WireGuardError) {
            let device = try backend.device()
            lastDevice = device
            lastDeviceAt = loop.now
            return (.success(device), true)
        } catch {
            return (.failure(error), true)
        }
    }

    /// The next `device(maxAge:)` or `readDevice(maxAge:)` reads the device again (it was
    /// re-created, or the network changed: its listen port may differ).
    func forgetDeviceRead() { lastDeviceAt = nil }

    /// Reads the device — or takes a read at most `maxAge` seconds old — and refreshes `keys`;
    /// fails if it has no private key or listen port.
    func readDevice(maxAge: Double = 0) throws(InterfaceError) -> (WireGuardDeviceState, InterfaceKeys) {
        let device: WireGuardDeviceState
        if maxAge > 0, let lastDevice, let at = lastDeviceAt, loop.now - at <= maxAge {
            device = lastDevice
        } else {
            do { device = try backend.device() } catch { throw InterfaceError(message: "\(error)") }
            lastDevice = device
            lastDeviceAt = loop.now
        }
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
