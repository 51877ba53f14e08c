import EventLoop
import SystemCalls

/// A raw socket on WireGuard's port, of one family, that hears what an opening waits for
/// (docs/first-contact.md): the partner's punches (`PunchMessage`) and the WireGuard handshake
/// initiations that come in (the filter keeps only those two and STUN; WireGuard gets its own
/// copy of everything). Punches go out through the same socket.
///
/// Contract: `heard` is called on the loop, from the socket's watcher, never inside `init` and
/// never after `close()`. Open only while some opening needs it: each instance is one socket and
/// one watcher.
public final class PunchListener {
    /// What came in.
    public enum Heard: Equatable, Sendable {
        /// A well-formed punch (its tag is not checked here: the caller knows the keys).
        case punch(PunchMessage)
        /// A WireGuard handshake initiation (148 bytes, type 1).
        case initiation
    }

    /// Bytes of a WireGuard handshake initiation.
    public static let initiationBytes = 148

    public let family: IPFamily
    public let localPort: UInt16
    private var socket: StunRawSocket?
    private var watcher: IOWatcher?
    private let heard: (Heard, Endpoint) -> Void

    /// Opens the socket (needs CAP_NET_RAW) with `fwmark` (WireGuard's, so punches route like
    /// WireGuard's own packets) and starts listening.
    public init(loop: EventLoop, family: IPFamily, localPort: UInt16, fwmark: UInt32,
                heard: @escaping (Heard, Endpoint) -> Void) throws(Errno) {
        let socket = try StunRawSocket(family: family, localPort: localPort, fwmark: fwmark, also: .handshakeInitiations)
        self.family = family
        self.localPort = localPort
        self.socket = socket
        self.heard = heard
        let watcher = IOWatcher(loop: loop, fd: socket.fd, events: .read) { [weak self] _ in self?.read() }
        watcher.start()
        self.watcher = watcher
    }

    deinit { close() }

    /// Sends a punch's payload from WireGuard's port to `endpoint` (of this family).
    public func send(_ payload: [UInt8], to endpoint: Endpoint) throws(Errno) {
        guard let socket else { throw .invalid }
        let source = try socket.sourceAddress(toward: endpoint)
        try socket.send(payload, from: source, to: endpoint)
    }

    /// Stops listening and closes the socket; nothing is reported after this.
    public func close() {
        watcher?.stop()
        watcher = nil
        socket = nil
    }

    /// Reports what is already queued on the socket, now (a caller about to act on a fact that
    /// may have come after it: a handshake seen in a device read, whose initiation may still be
    /// unread here).
    public func drain() { read() }

    private func read() {
        while let socket {
            let packet: ReceivedUDPPacket?
            do {
                packet = try socket.receiveDatagram()
            } catch {
                return
            }
            guard let packet else { return }
            guard packet.destinationPort == localPort, let what = Self.classify(packet.payload) else { continue }
            heard(what, packet.source)
        }
    }

    /// What a datagram's payload is, if anything the opening cares about.
    static func classify(_ payload: [UInt8]) -> Heard? {
        if payload.count == initiationBytes, payload[0] == 1, payload[1] == 0, payload[2] == 0, payload[3] == 0 {
            return .initiation
        }
        return PunchMessage(parsing: payload).map(Heard.punch)
    }
}
