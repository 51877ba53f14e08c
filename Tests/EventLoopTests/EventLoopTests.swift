import EventLoop
import Glibc
import SystemCalls
import Testing

/// The libev wrapper: timers, deferred work, io readiness and signals, on a private loop.
@Suite(.serialized) struct EventLoopTests {
    @Test func timersFireInOrderOfDeadline() {
        let loop = EventLoop()
        var fired: [String] = []
        let late = TimerWatcher(loop: loop) { fired.append("late"); loop.stop() }
        let early = TimerWatcher(loop: loop) { fired.append("early") }
        late.start(after: 0.05)
        early.start(after: 0.01)
        loop.run()
        #expect(fired == ["early", "late"])
        #expect(!late.isActive)
    }

    @Test func restartingATimerRearmsIt() {
        let loop = EventLoop()
        var count = 0
        let timer = TimerWatcher(loop: loop) { count += 1; loop.stop() }
        timer.start(after: 10)
        timer.start(after: 0.01)
        let started = loop.now
        loop.run()
        #expect(count == 1)
        #expect(loop.now - started < 5)
    }

    @Test func stoppedTimersDoNotFire() {
        let loop = EventLoop()
        var fired = false
        let timer = TimerWatcher(loop: loop) { fired = true }
        let guardTimer = TimerWatcher(loop: loop) { loop.stop() }
        timer.start(after: 0.01)
        timer.stop()
        guardTimer.start(after: 0.05)
        loop.run()
        #expect(!fired)
    }

    @Test func soonRunsAfterTheCurrentCallbackInOrder() {
        let loop = EventLoop()
        var order: [Int] = []
        let timer = TimerWatcher(loop: loop) {
            loop.soon { order.append(2) }
            loop.soon { order.append(3); loop.stop() }
            order.append(1)
        }
        timer.start(after: 0)
        loop.run()
        #expect(order == [1, 2, 3])
    }

    @Test func ioWatcherSeesReadability() throws {
        let loop = EventLoop()
        let pipe = try Sys.pipe()
        defer { Sys.close(pipe.read); Sys.close(pipe.write) }
        var got: [UInt8] = []
        let watcher = IOWatcher(loop: loop, fd: pipe.read, events: .read) { events in
            #expect(events.contains(.read))
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = (try? Sys.read(pipe.read, into: &buffer)) ?? 0
            got += buffer[..<n]
            loop.stop()
        }
        watcher.start()
        let writer = TimerWatcher(loop: loop) { try? Sys.writeAll(pipe.write, [1, 2, 3]) }
        writer.start(after: 0.01)
        loop.run()
        #expect(got == [1, 2, 3])
    }

    /// A descriptor that became ready and a timer that fell due while the process was not
    /// running (a loaded box): the loop hands over what arrived before the deadline's verdict.
    /// libev's own order would be the timer first.
    @Test func whatArrivedIsHandledBeforeATimerDueInTheSameIteration() throws {
        let loop = EventLoop()
        let pipe = try Sys.pipe()
        defer { Sys.close(pipe.read); Sys.close(pipe.write) }
        var order: [String] = []
        let watcher = IOWatcher(loop: loop, fd: pipe.read, events: .read) { _ in
            var buffer = [UInt8](repeating: 0, count: 16)
            _ = try? Sys.read(pipe.read, into: &buffer)
            order.append("io")
        }
        watcher.start()
        let timer = TimerWatcher(loop: loop) { order.append("timer") }
        loop.updateNow()
        timer.start(after: 0.01)
        try Sys.writeAll(pipe.write, [1])
        usleep(50_000)
        loop.runOnce()
        if order.count < 2 { loop.runOnce() }
        #expect(order == ["io", "timer"])
    }

    @Test func signalsAreDeliveredAsCallbacks() {
        let loop = EventLoop()
        var received = false
        let watcher = SignalWatcher(loop: loop, signal: SIGUSR2) { received = true; loop.stop() }
        let sender = TimerWatcher(loop: loop) { kill(getpid(), SIGUSR2) }
        let safety = TimerWatcher(loop: loop) { loop.stop() }
        sender.start(after: 0.01)
        safety.start(after: 5)
        loop.run()
        #expect(received)
        _ = watcher
    }
}
