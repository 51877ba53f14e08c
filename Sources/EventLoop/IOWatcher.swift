import CLibEV

/// Which readiness an `IOWatcher` waits for.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// EV_READ: the descriptor is readable.
    public static let read = IOEvents(rawValue: Int32(EV_READ))
    /// EV_WRITE: the descriptor is writable.
    public static let write = IOEvents(rawValue: Int32(EV_WRITE))
}

private let ioTrampoline: @convention(c) (OpaquePointer?, UnsafeMutablePointer<ev_io>?, Int32) -> Void = { _, w, revents in
    guard let w, let data = w.pointee.data else { return }
    Unmanaged<IOWatcher>.fromOpaque(data).takeUnretainedValue().callback(IOEvents(rawValue: revents))
}

/// ev_io: calls back when a file descriptor becomes readable or writable. The watcher does not
/// own the descriptor; its owner closes it after stopping (or dropping) the watcher.
///
/// **Facts before deadlines.** IO watchers run at a higher priority than timers: when a loop
/// iteration finds both a descriptor ready and a timer due (a loaded box that woke late), what
/// arrived is handled first. libev otherwise invokes the timers first, so a STUN answer or a ping
/// reply that came in time would be judged by its timeout before being read, and an opening
/// would see a completed handshake in a device read before the initiation that started it.
public final class IOWatcher {
    /// The priority of every IO watcher; timers and signals keep libev's default, 0.
    public static let priority: Int32 = 1

    let loop: EventLoop
    let watcher: UnsafeMutablePointer<ev_io>
    let callback: (IOEvents) -> Void

    /// A stopped watcher of `fd` for `events`.
    public init(loop: EventLoop, fd: Int32, events: IOEvents, callback: @escaping (IOEvents) -> Void) {
        self.loop = loop
        self.callback = callback
        watcher = .allocate(capacity: 1)
        clibev_io_init(watcher, ioTrampoline, fd, events.rawValue)
        clibev_set_priority(watcher, Self.priority)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_io_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    /// ev_io_start.
    public func start() { ev_io_start(loop.raw, watcher) }
    /// ev_io_stop.
    public func stop() { ev_io_stop(loop.raw, watcher) }
    /// Changes what is waited for (stops and restarts if active).
    public func set(events: IOEvents) {
        let wasActive = isActive
        stop()
        clibev_io_set(watcher, watcher.pointee.fd, events.rawValue)
        if wasActive { start() }
    }
    /// Whether the watcher is started.
    public var isActive: Bool { clibev_is_active(watcher) != 0 }
}
