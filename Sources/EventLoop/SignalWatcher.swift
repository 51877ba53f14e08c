import CLibEV

private let signalTrampoline: @convention(c) (OpaquePointer?, UnsafeMutablePointer<ev_signal>?, Int32) -> Void = { _, w, _ in
    guard let w, let data = w.pointee.data else { return }
    Unmanaged<SignalWatcher>.fromOpaque(data).takeUnretainedValue().callback()
}

/// ev_signal: runs a callback on the loop when a signal arrives, so handlers are ordinary code
/// (not async-signal-safe code in a signal handler).
public final class SignalWatcher {
    let loop: EventLoop
    let watcher: UnsafeMutablePointer<ev_signal>
    let callback: () -> Void

    /// A started watcher of `signal` (SIGTERM, SIGHUP, SIGUSR1, …).
    public init(loop: EventLoop, signal: Int32, callback: @escaping () -> Void) {
        self.loop = loop
        self.callback = callback
        watcher = .allocate(capacity: 1)
        clibev_signal_init(watcher, signalTrampoline, signal)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        ev_signal_start(loop.raw, watcher)
    }

    deinit {
        ev_signal_stop(loop.raw, watcher)
        watcher.deallocate()
    }
}
