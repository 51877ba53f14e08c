import EventLoop
import Stun
import SystemCalls

/// An interface's ears for first contact: one `PunchListener` per family, open only while some
/// peer's opening needs it, routing what it hears to that peer by the sender's endpoint (the
/// partner's public endpoint, which the opening punches). With 1,000 peers this is still one
/// raw socket per family, and none once every peer has a session.
final class PunchHub {
    private let loop: EventLoop
    private var listeners: [IPFamily: PunchListener] = [:]
    private var routes: [Endpoint: (PunchListener.Heard) -> Void] = [:]

    init(loop: EventLoop) { self.loop = loop }

    /// Routes what comes from `endpoint` to `heard` (replacing an earlier route from there) and
    /// returns the listener to punch through, opened if needed on WireGuard's `port` with its
    /// `fwmark` (re-opened if the port changed).
    func register(_ endpoint: Endpoint, port: UInt16, fwmark: UInt32,
                  heard: @escaping (PunchListener.Heard) -> Void) throws(Errno) -> PunchListener {
        let family = endpoint.address.ipFamily
        if let listener = listeners[family], listener.localPort != port {
            listener.close()
            listeners[family] = nil
        }
        let listener: PunchListener
        if let existing = listeners[family] {
            listener = existing
        } else {
            listener = try PunchListener(loop: loop, family: family, localPort: port, fwmark: fwmark) { [weak self] what, from in
                self?.routes[from]?(what)
            }
            listeners[family] = listener
        }
        routes[endpoint] = heard
        return listener
    }

    /// Stops routing from `endpoint`; a family's listener closes with its last route.
    func unregister(_ endpoint: Endpoint) {
        routes[endpoint] = nil
        let family = endpoint.address.ipFamily
        if !routes.keys.contains(where: { $0.address.ipFamily == family }) {
            listeners[family]?.close()
            listeners[family] = nil
        }
    }

    /// Hands over what the listeners have already received (see `PunchListener.drain`).
    func drain() {
        for listener in Array(listeners.values) { listener.drain() }
    }

    /// Whether a listener of `family` is open (for tests and status).
    func isListening(_ family: IPFamily) -> Bool { listeners[family] != nil }
}
