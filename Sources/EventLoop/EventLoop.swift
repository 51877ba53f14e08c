import CLibEV

/// The one event loop of the daemon: a libev loop made with `ev_loop_new`, not libev's default
/// loop, because the default loop reaps every child process and so breaks `waitpid` for exec
/// plugins. Watchers (`IOWatcher`, `TimerWatcher`, `SignalWatcher`) belong to one loop; all of
/// them run their callbacks on the thread that calls `run()`.
public final class EventLoop {
    /// The libev loop (`struct ev_loop *`).
    let raw: OpaquePointer
    private var soonQueue: [() -> Void] = []
    private var soonTimer: TimerWatcher?

    /// Makes a new loop with libev's best backend (epoll here).
    public init() {
        guard let loop = ev_loop_new(UInt32(EVFLAG_AUTO)) else {
            fatalError("ev_loop_new failed: libev could not create a loop")
        }
        raw = loop
    }

    deinit {
        soonTimer = nil
        ev_loop_destroy(raw)
    }

    /// ev_run: runs callbacks until `stop()` is called or no watcher is active.
    public func run() { _ = ev_run(raw, 0) }

    /// ev_run with EVRUN_ONCE: waits for and handles one round of events (tests use it).
    public func runOnce() { _ = ev_run(raw, Int32(EVRUN_ONCE)) }

    /// ev_break(EVBREAK_ALL): makes `run()` return after the current callback.
    public func stop() { ev_break(raw, Int32(EVBREAK_ALL)) }

    /// ev_now: the loop's cached monotonic time in seconds, updated once per iteration.
    public var now: Double { ev_now(raw) }

    /// ev_now_update: refreshes `now` after a long callback.
    public func updateNow() { ev_now_update(raw) }

    /// Runs `body` on the next loop iteration, after the current callback returns: lets code
    /// that completes synchronously (a local file store) answer without re-entering its caller.
    public func soon(_ body: @escaping () -> Void) {
        soonQueue.append(body)
        if soonTimer == nil {
            soonTimer = TimerWatcher(loop: self) { [unowned self] in self.drainSoon() }
        }
        if !soonTimer!.isActive { soonTimer!.start(after: 0) }
    }

    private func drainSoon() {
        let queue = soonQueue
        soonQueue = []
        for body in queue { body() }
    }
}
