import EventLoop
import Glibc
import Probes
import SystemCalls
import Testing

/// The file store's change notification: inotify on the directory, a stat poll as fallback.
@Suite struct StoreFileWatchTests {
    typealias F = StoreFixture

    @Test func aRecordWrittenByAnotherStoreIsNoticedAtOnce() throws {
        let parent = F.temporaryDirectory()
        defer { F.removeTree(parent) }
        let dir = parent + "/not-yet"  // the partner has not written: the directory is made to be watched
        let loop = EventLoop()
        let reader = FileStore(loop: loop, directory: dir)
        var changes = 0
        let watch = try #require(reader.watch(key: F.keyA) { changes += 1 })
        #expect(changes == 0, "never inside watch")
        // The partner (another store on the same directory) writes its record, then another key.
        let writer = FileStore(loop: loop, directory: dir)
        var wrote = false
        writer.set(key: F.keyB, value: "00") { _ in wrote = true }
        _ = F.drive(loop, timeout: 2) { wrote }
        LoopRun.run(loop, for: 0.2)
        #expect(changes == 0, "another key's file is not a change of ours")
        let start = LoopRun.now()
        writer.set(key: F.keyA, value: "00ff") { _ in }
        #expect(F.drive(loop, timeout: 2) { changes > 0 })
        #expect(LoopRun.now() - start < 1, "inotify, not the 5 s poll")
        watch.cancel()
        let before = changes
        writer.set(key: F.keyA, value: "0101") { _ in }
        LoopRun.run(loop, for: 0.3)
        #expect(changes == before, "no call after cancel")
    }

    @Test func invalidKeysCannotBeWatched() {
        let loop = EventLoop()
        #expect(FileStore(loop: loop, directory: "/tmp/x").watch(key: "../etc/passwd") { } == nil)
    }

    @Test func inotifyEventBuffersAreReadWithinTheirBounds() {
        // wd 1, IN_CLOSE_WRITE, cookie 0, len 16, "abc" NUL-padded; then a truncated record.
        var bytes: [UInt8] = [1, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]
        bytes += Array("abc".utf8) + [UInt8](repeating: 0, count: 13)
        bytes += [1, 0, 0, 0, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0]  // IN_DELETE_SELF, len past the end
        let parsed = inotifyEventNames(bytes[...])
        #expect(parsed.names == ["abc"])
        #expect(!parsed.directoryGone, "the truncated record is not read")
        let gone: [UInt8] = [1, 0, 0, 0, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(inotifyEventNames(gone[...]).directoryGone)
        #expect(inotifyEventNames([1, 2, 3][...]).names.isEmpty)
    }
}

/// Loop helpers for these tests.
enum LoopRun {
    static func now() -> Double { WallClock.now() }
    static func run(_ loop: EventLoop, for seconds: Double) {
        let end = TimerWatcher(loop: loop) {}
        end.start(after: seconds)
        while end.isActive { loop.runOnce() }
    }
}
