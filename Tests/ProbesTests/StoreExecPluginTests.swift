import EventLoop
import Glibc
import Probes
import Testing

@Suite struct StoreExecPluginTests {
    typealias F = StoreFixture

    /// A temporary directory holding the plugin script and its records.
    /// Runs its script through its interpreter rather than exec'ing the file it just wrote: tests run
    /// in parallel threads, and a child another test forks while our write descriptor is open
    /// holds a copy of it until its own exec, so exec'ing the script then fails with ETXTBSY
    /// ("Text file busy", seen in CI). The interpreter only reads the script, which is never refused.
    final class Plugin {
        let dir = F.temporaryDirectory()
        let loop = EventLoop()
        var script: String { "\(dir)/plugin" }
        init() throws { try F.write(script, StorePluginScripts.exec, mode: 0o755) }
        deinit { F.removeTree(dir) }
        func store(_ mode: String = "ok", timeout: Double = 10) -> PluginStore {
            PluginStore(.exec, loop: loop, command: "/bin/bash", args: [script, dir, mode], timeout: timeout)
        }
        func get(_ store: Store, _ key: String = F.keyA) -> Result<String?, StoreError>? {
            var result: Result<String?, StoreError>?
            store.get(key: key) { result = $0 }
            F.drive(loop, timeout: 20) { result != nil }
            return result
        }
        func set(_ store: Store, _ value: String, key: String = F.keyA) -> Result<Void, StoreError>? {
            var result: Result<Void, StoreError>?
            store.set(key: key, value: value) { result = $0 }
            F.drive(loop, timeout: 20) { result != nil }
            return result
        }
    }

    func failure<T>(_ result: Result<T, StoreError>?) -> String? {
        if case .failure(let e)? = result { return e.message }
        return nil
    }

    @Test func roundTrip() throws {
        let plugin = try Plugin()
        let store = plugin.store()
        #expect(try plugin.get(store)?.get() == .some(nil))
        #expect(throws: Never.self) { try plugin.set(store, "00a1ff")?.get() }
        #expect(F.read("\(plugin.dir)/last-request") == "{\"action\":\"set\",\"key\":\"\(F.keyA)\",\"value\":\"00a1ff\"}\n")
        #expect(try plugin.get(store)?.get() == "00a1ff")
        #expect(F.read("\(plugin.dir)/last-request") == "{\"action\":\"get\",\"key\":\"\(F.keyA)\"}\n")
        #expect(try plugin.get(store, F.keyB)?.get() == .some(nil))
    }

    @Test func completesOnTheLoopNotInsideGet() throws {
        let plugin = try Plugin()
        var done = false
        plugin.store().get(key: F.keyA) { _ in done = true }
        #expect(!done)
        F.drive(plugin.loop) { done }
        #expect(done)
    }

    @Test func successFalseSurfacesThePluginError() throws {
        let plugin = try Plugin()
        let message = failure(plugin.set(plugin.store("fail"), "00"))
        #expect(message?.contains("quota exceeded for zone example.com") == true, "\(message ?? "no error")")
        #expect(failure(plugin.get(plugin.store("fail")))?.contains("quota exceeded") == true)
    }

    @Test func nonZeroExitIsAnErrorWithStderr() throws {
        let plugin = try Plugin()
        let message = failure(plugin.get(plugin.store("exit3")))
        #expect(message?.contains("exited with status 3") == true, "\(message ?? "no error")")
        #expect(message?.contains("cannot reach backend") == true)
        #expect(message?.contains("backend down") == true)
    }

    @Test func garbageStdoutIsAnError() throws {
        let plugin = try Plugin()
        let message = failure(plugin.get(plugin.store("garbage")))
        #expect(message?.contains("no JSON object") == true, "\(message ?? "no error")")
        #expect(message?.contains("this is not json") == true)
        #expect(failure(plugin.get(plugin.store("nosuccess")))?.contains("failed") == true)
    }

    @Test func bigStderrIsBoundedInTheError() throws {
        let plugin = try Plugin()
        // 300 kB of stderr passes through the pipes without blocking the plugin.
        #expect(try plugin.get(plugin.store("big"))?.get() == .some(nil))
        let message = try #require(failure(plugin.get(PluginStore(.exec, loop: plugin.loop, command: "/bin/sh",
            args: ["-c", "head -c 300000 /dev/zero | tr '\\0' 'y' >&2; exit 1"]))))
        #expect(message.count < 500)
    }

    @Test func missingCommandIsAnError() throws {
        let plugin = try Plugin()
        let message = failure(plugin.get(PluginStore(.exec, loop: plugin.loop, command: "\(plugin.dir)/no-such-plugin", args: [])))
        #expect(message?.contains("cannot start") == true, "\(message ?? "no error")")
    }

    @Test func badKeyIsRejectedWithoutRunningThePlugin() throws {
        let plugin = try Plugin()
        #expect(failure(plugin.get(plugin.store(), "not-a-key")) != nil)
        #expect(F.read("\(plugin.dir)/last-request") == nil)
    }

    @Test func hangingPluginIsKilledAtTheTimeout() throws {
        let plugin = try Plugin()
        let start = F.now()
        let message = failure(plugin.get(plugin.store("hang", timeout: 0.5)))
        let elapsed = F.now() - start
        #expect(message?.contains("timed out") == true, "\(message ?? "no error")")
        #expect(elapsed >= 0.45 && elapsed < 5, "took \(elapsed) s")
        for file in ["plugin.pid", "sleeper.pid"] {
            let pid = try #require(F.read("\(plugin.dir)/\(file)").flatMap { Int32($0.filter(\.isNumber)) })
            // The whole process group was killed; give the kernel a moment to finish the sleeper.
            var gone = F.isGone(pid)
            for _ in 0..<100 where !gone { usleep(10_000); gone = F.isGone(pid) }
            #expect(gone, "\(file) \(pid) still runs")
        }
    }

    @Test func loopStaysResponsiveDuringASlowPlugin() throws {
        let plugin = try Plugin()
        var ticks = 0
        let timer = TimerWatcher(loop: plugin.loop) { ticks += 1 }
        timer.start(after: 0.02, repeat: 0.02)
        var ticksAtCompletion = -1
        plugin.store("slow").get(key: F.keyA) { _ in ticksAtCompletion = ticks }
        F.drive(plugin.loop, timeout: 20) { ticksAtCompletion >= 0 }
        timer.stop()
        #expect(ticksAtCompletion >= 10, "only \(ticksAtCompletion) timer ticks during a 0.5 s plugin")
    }

    @Test func parallelOperationsEachGetTheirAnswer() throws {
        let plugin = try Plugin()
        try F.write("\(plugin.dir)/\(F.keyA)", "aaaa")
        try F.write("\(plugin.dir)/\(F.keyB)", "bbbb")
        let store = plugin.store()
        var a: Result<String?, StoreError>?, b: Result<String?, StoreError>?
        store.get(key: F.keyA) { a = $0 }
        store.get(key: F.keyB) { b = $0 }
        F.drive(plugin.loop, timeout: 20) { a != nil && b != nil }
        #expect(try a?.get() == "aaaa")
        #expect(try b?.get() == "bbbb")
    }
}
