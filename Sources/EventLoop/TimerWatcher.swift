import CLibEV

private let timerTrampoline: @convention(c) (OpaquePointer?, UnsafeMutablePointer<ev_timer>?, Int32) -> Void = { _, w, _ in
    guard let w, let data = w.pointee.data else { return }
    Unmanaged<TimerWatcher>.fromOpaque(data).takeUnretainedValue().callback()
}

/// ev_timer: calls back once after a delay (relative to the loop's monotonic clock), or
/// repeatedly. Restarting an active timer re-arms it.
public final class TimerWatcher {
    let loop: EventLoop
    let watcher: UnsafeMutablePointer<ev_timer>
    let callback: () -> Void

    /// A stopped timer.
    public init(loop: EventLoop, callback: @escaping () -> Void) {
        self.loop = loop
        self.callback = callback
        watcher = .allocate(capacity: 1)
        clibev_timer_init(watcher, timerTrampoline, 0, 0)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_timer_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    /// Arms the timer to fire `after` seconds from now, then every `repeat` seconds if non-zero.
    public func start(after: Double, repeat interval: Double = 0) {
        ev_timer_stop(loop.raw, watcher)
        clibev_timer_set(watcher, max(0, after), max(0, interval))
        ev_timer_start(loop.raw, watcher)
    }

    /// ev_timer_stop.
    public func stop() { ev_timer_stop(loop.raw, watcher) }

    /// Whether the timer is armed.
    public var isActive: Bool { clibev_is_active(watcher) != 0 }

    /// ev_timer_remaining: seconds until an armed timer fires.
    public var remaining: Double { ev_timer_remaining(loop.raw, watcher) }
}
