import EventLoop
import Probes

/// The netlink probe on the daemon's loop: a `NetworkMonitor`, debounced (a link coming up sends
/// a burst of link, address and route messages within milliseconds; one re-discovery after the
/// burst is enough), handing each settled burst to the daemon as one short description.
final class NetworkWatch {
    private let loop: EventLoop
    private var monitor: NetworkMonitor?
    private var debouncer: Debouncer
    private var burst: [NetworkChange] = []
    private lazy var timer = TimerWatcher(loop: loop) { [unowned self] in self.timerFired() }
    private let onSettled: ([NetworkChange]) -> Void

    /// Starts watching; throws if the netlink socket cannot be opened.
    init(loop: EventLoop, quiet: Double = 0.3, maximum: Double = 2,
         onSettled: @escaping ([NetworkChange]) -> Void) throws(NetlinkError) {
        self.loop = loop
        self.debouncer = Debouncer(quiet: quiet, maximum: maximum)
        self.onSettled = onSettled
        monitor = try NetworkMonitor(loop: loop) { [weak self] changes in self?.noted(changes) }
    }

    /// Stops watching; nothing is reported afterwards.
    func stop() {
        monitor?.stop()
        monitor = nil
        timer.stop()
        burst = []
    }

    private func noted(_ changes: [NetworkChange]) {
        guard !changes.isEmpty else { return }
        burst += changes
        if debouncer.note(now: loop.now), let deadline = debouncer.deadline {
            timer.start(after: deadline - loop.now)
        }
    }

    private func timerFired() {
        if debouncer.fire(now: loop.now) {
            let settled = burst
            burst = []
            onSettled(settled)
        } else if let deadline = debouncer.deadline {
            timer.start(after: deadline - loop.now)
        }
    }

    /// Whether a change can move our public mapping: link-local IPv6 addresses (which come and go
    /// with every link state change and duplicate-address detection) cannot.
    static func matters(_ change: NetworkChange) -> Bool {
        switch change {
        case .addressAdded(_, let address), .addressRemoved(_, let address):
            if case .v6(let bytes) = address, bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return false }
            return true
        default:
            return true
        }
    }

    /// The link a change adds or removes, if it does (a WireGuard interface re-created shows as
    /// one of these).
    static func recreatedLink(_ change: NetworkChange) -> String? {
        switch change {
        case .linkAdded(let name, _), .linkRemoved(let name, _): return name
        default: return nil
        }
    }

    /// The link a change adds, if it does (with a removal in the same burst: a re-created device).
    static func addedLink(_ change: NetworkChange) -> String? {
        if case .linkAdded(let name, _) = change { return name }
        return nil
    }

    /// A one-line account of a burst for logs and status, e.g. "eth0 down, eth0 up".
    static func describe(_ changes: [NetworkChange]) -> String {
        var parts: [String] = []
        for change in changes {
            let text: String
            switch change {
            case .linkAdded(let name, _): text = "\(name) added"
            case .linkRemoved(let name, _): text = "\(name) removed"
            case .linkUp(let name, _): text = "\(name) up"
            case .linkDown(let name, _): text = "\(name) down"
            case .addressAdded(let name, let address): text = "\(name) +\(address)"
            case .addressRemoved(let name, let address): text = "\(name) -\(address)"
            case .defaultRouteChanged(let family): text = family == 2 ? "default route" : "default route v6"
            case .overrun: text = "netlink overrun"
            }
            if !parts.contains(text) { parts.append(text) }
        }
        return parts.prefix(4).joined(separator: ", ") + (parts.count > 4 ? ", …" : "")
    }
}
