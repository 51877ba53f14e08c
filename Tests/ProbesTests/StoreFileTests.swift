import EventLoop
import Glibc
import Probes
import Testing

@Suite struct StoreFileTests {
    typealias F = StoreFixture

    func get(_ store: Store, _ loop: EventLoop, _ key: String) -> Result<String?, StoreError>? {
        var result: Result<String?, StoreError>?
        store.get(key: key) { result = $0 }
        F.drive(loop) { result != nil }
        return result
    }

    func set(_ store: Store, _ loop: EventLoop, _ key: String, _ value: String) -> Result<Void, StoreError>? {
        var result: Result<Void, StoreError>?
        store.set(key: key, value: value) { result = $0 }
        F.drive(loop) { result != nil }
        return result
    }

    @Test func roundTripCompletingOnTheLoop() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let store = FileStore(loop: loop, directory: dir)
        var done = false
        store.set(key: F.keyA, value: "00ff") { _ in done = true }
        #expect(!done, "completion ran synchronously inside set")
        F.drive(loop) { done }
        #expect(done)
        #expect(F.read("\(dir)/\(F.keyA)") == "00ff")
        var got: Result<String?, StoreError>?
        store.get(key: F.keyA) { got = $0 }
        #expect(got == nil, "completion ran synchronously inside get")
        F.drive(loop) { got != nil }
        #expect(try got?.get() == "00ff")
    }

    /// A burst of writes (a hub's start: every peer's first record) goes out in order a slice
    /// per loop pass: the first writer hears back before the last write is made.
    @Test func aBurstOfWritesYieldsToTheLoopInOrder() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let store = FileStore(loop: loop, directory: dir, writeSlice: 0)
        let keys = [F.keyA, F.keyB, String(repeating: "c", count: 40)]
        var answered: [String] = []
        var writesWhenFirstAnswered: Int?
        for key in keys {
            store.set(key: key, value: "00ff") { result in
                #expect((try? result.get()) != nil)
                answered.append(key)
                if writesWhenFirstAnswered == nil { writesWhenFirstAnswered = store.writes }
            }
        }
        #expect(store.writes == 0, "written inside set")
        loop.runOnce()
        #expect(store.writes == 1, "one write per pass with a zero slice")
        F.drive(loop) { answered.count == keys.count }
        #expect(answered == keys)
        #expect(writesWhenFirstAnswered.map { $0 < keys.count } == true, "the first writer waited for every write")
        #expect(keys.allSatisfy { F.read("\(dir)/\($0)") == "00ff" })
    }

    @Test func missingKeyIsNil() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        #expect(try get(FileStore(loop: loop, directory: dir), loop, F.keyB)?.get() == .some(nil))
        #expect(try get(FileStore(loop: loop, directory: dir + "/not/made/yet"), loop, F.keyB)?.get() == .some(nil))
    }

    @Test func readsTrimmedAndTreatsBlankAsMissing() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let store = FileStore(loop: loop, directory: dir)
        try F.write("\(dir)/\(F.keyA)", "  abcdef\r\n")
        try F.write("\(dir)/\(F.keyB)", "\n")
        #expect(try get(store, loop, F.keyA)?.get() == "abcdef")
        #expect(try get(store, loop, F.keyB)?.get() == .some(nil))
    }

    @Test func rejectsKeysThatAreNotLowercaseHex() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let store = FileStore(loop: loop, directory: dir + "/records")
        for bad in ["../../etc/passwd", "", F.keyA.uppercased(), String(F.keyA.dropLast()), F.keyA + "0",
                    "/" + String(F.keyA.dropFirst()), String(repeating: "g", count: 40)] {
            let written = set(store, loop, bad, "00")
            #expect(written.map { if case .failure = $0 { true } else { false } } == true, "set accepted \(bad)")
            let read = get(store, loop, bad)
            #expect(read.map { if case .failure = $0 { true } else { false } } == true, "get accepted \(bad)")
        }
        #expect(F.list(dir).isEmpty, "a rejected key created something")
    }

    @Test func replacesAtomicallyLeavingNoTemporaryFiles() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let store = FileStore(loop: loop, directory: dir + "/nested/records")
        for i in 0..<20 {
            #expect(throws: Never.self) { try set(store, loop, F.keyA, "value-\(i)")?.get() }
        }
        #expect(try get(store, loop, F.keyA)?.get() == "value-19")
        #expect(F.list(dir + "/nested/records") == [F.keyA])
    }

    @Test func twoStoresOnOneDirectorySeeEachOther() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        let a = FileStore(loop: loop, directory: dir), b = FileStore(loop: loop, directory: dir)
        try set(a, loop, F.keyA, "from-a")?.get()
        try set(b, loop, F.keyB, "from-b")?.get()
        #expect(try get(b, loop, F.keyA)?.get() == "from-a")
        #expect(try get(a, loop, F.keyB)?.get() == "from-b")
        try set(b, loop, F.keyA, "b-overwrote")?.get()
        #expect(try get(a, loop, F.keyA)?.get() == "b-overwrote")
        #expect(F.list(dir) == [F.keyA, F.keyB].sorted())
    }

    @Test func writeFailureIsAnError() throws {
        let dir = F.temporaryDirectory()
        defer { F.removeTree(dir) }
        let loop = EventLoop()
        try F.write("\(dir)/file", "not a directory")
        let result = set(FileStore(loop: loop, directory: "\(dir)/file"), loop, F.keyA, "00")
        guard case .failure(let error)? = result else { Issue.record("expected a failure, got \(String(describing: result))"); return }
        #expect(error.message.contains("cannot write"))
    }
}
