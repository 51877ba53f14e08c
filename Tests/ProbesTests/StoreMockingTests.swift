#if ENABLE_MOCKING
import EventLoop
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// Failure paths of the stores that a real kernel does not produce on cue.
@Suite struct StoreMockingTests {
    typealias F = StoreFixture

    @Test func fsyncFailureFailsTheWriteAndLeavesNoTemporaryFile() {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("fsync", .fail(Errno(EIO)))
        var result: Result<Void, StoreError>?
        // The write goes out on the loop (FileStore queues writes): drive it with the mock on.
        driver.withMocking {
            FileStore(loop: loop, directory: dir).set(key: F.keyA, value: "00") { result = $0 }
            F.drive(loop) { result != nil }
        }
        guard case .failure(let error)? = result else { Issue.record("expected failure"); return }
        #expect(error.message.contains("Input/output error"))
        #expect(F.list(dir).isEmpty)
    }

    @Test func interruptedReadsAreRetried() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        try F.write("\(dir)/\(F.keyA)", "abcd")
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("read", .fail(.interrupted), .fail(.interrupted))
        var result: Result<String?, StoreError>?
        driver.withMocking { FileStore(loop: loop, directory: dir).get(key: F.keyA) { result = $0 } }
        F.drive(loop) { result != nil }
        #expect(try result?.get() == "abcd")
    }

    @Test func spawnFailureIsReportedOnTheLoop() {
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("posix_spawn", .fail(Errno(EAGAIN)))
        var result: Result<String?, StoreError>?
        driver.withMocking {
            PluginStore(.exec, loop: loop, command: "/bin/true", args: []).get(key: F.keyA) { result = $0 }
        }
        #expect(result == nil)
        F.drive(loop) { result != nil }
        guard case .failure(let error)? = result else { Issue.record("expected failure"); return }
        #expect(error.message.contains("cannot start"))
    }

    @Test func pidfdFailureKillsAndReapsTheChild() {
        let loop = EventLoop()
        let driver = MockingDriver()
        driver.script("pidfd_open", .fail(Errno(ENOSYS)))
        var result: Result<ChildOutput, ChildFailure>?
        driver.withMocking {
            ChildProcess.run(loop: loop, command: "/bin/sleep", arguments: ["1000"], input: [], timeout: 10) { result = $0 }
        }
        F.drive(loop) { result != nil }
        guard case .failure(.cannotStart(let e))? = result else { Issue.record("expected cannotStart"); return }
        #expect(e == Errno(ENOSYS))
        #expect(driver.trace.contains("kill") && driver.trace.contains("waitpid"))
    }
}
#endif
