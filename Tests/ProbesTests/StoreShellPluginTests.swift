import EventLoop
import Glibc
import Probes
import Testing

@Suite struct StoreShellPluginTests {
    typealias F = StoreFixture

    /// Runs its script through its interpreter rather than exec'ing the file it just wrote: tests run
    /// in parallel threads, and a child another test forks while our write descriptor is open
    /// holds a copy of it until its own exec, so exec'ing the script then fails with ETXTBSY
    /// ("Text file busy", seen in CI). The interpreter only reads the script, which is never refused.
    final class Plugin {
        let dir = F.temporaryDirectory()
        let loop = EventLoop()
        var script: String { "\(dir)/plugin.sh" }
        init() throws { try F.write(script, StorePluginScripts.shell, mode: 0o755) }
        deinit { F.removeTree(dir) }
        func store(_ mode: String = "ok", timeout: Double = 10) -> PluginStore {
            PluginStore(.shell, loop: loop, command: "/bin/bash", args: [script, dir, mode], timeout: timeout)
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
        #expect(F.read("\(plugin.dir)/\(F.keyA)") == "00a1ff\n")
        #expect(try plugin.get(store)?.get() == "00a1ff")
    }

    @Test func nonZeroExitIsAnErrorWithStderr() throws {
        let plugin = try Plugin()
        let message = failure(plugin.set(plugin.store("exit2"), "00"))
        #expect(message?.contains("exited with status 2") == true, "\(message ?? "no error")")
        #expect(message?.contains("backend said no") == true)
    }

    @Test func multiLineValueIsRejected() throws {
        let plugin = try Plugin()
        #expect(failure(plugin.set(plugin.store(), "00\nSTUNMESH_KEY=evil")) != nil)
        #expect(F.list(plugin.dir) == ["plugin.sh"])
    }

    @Test func hangingPluginIsKilledAtTheTimeout() throws {
        let plugin = try Plugin()
        let start = F.now()
        let message = failure(plugin.get(plugin.store("hang", timeout: 0.3)))
        #expect(message?.contains("timed out") == true, "\(message ?? "no error")")
        #expect(F.now() - start < 5)
    }
}

/// A plugin program learns WireGuard's fwmark (`STUNMESH_FWMARK`), to mark its own sockets in a
/// full tunnel; the rest of the environment is the daemon's.
@Suite struct PluginMarkTests {
    typealias F = StoreFixture

    @Test func theProgramGetsTheMarkInItsEnvironment() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let script = "\(dir)/env.sh"
        try F.write(script, "#!/bin/sh\ncat >/dev/null\necho \"${STUNMESH_FWMARK:-none}:${PATH:+path}\"\n", mode: 0o755)
        let loop = EventLoop()
        let store = PluginStore(.shell, loop: loop, command: "/bin/sh", args: [script])
        func get() -> String? {
            var result: Result<String?, StoreError>?
            store.get(key: F.keyA) { result = $0 }
            F.drive(loop, timeout: 20) { result != nil }
            return try? result?.get() ?? nil
        }
        #expect(get() == "none:path", "no mark: nothing added, the daemon's environment as it is")
        store.socketMark = { 51820 }
        #expect(get() == "51820:path")
    }
}
