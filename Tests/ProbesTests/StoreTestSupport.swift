import EventLoop
import Glibc
import SystemCalls

/// Scaffolding for the store tests: temporary directories, plugin scripts, and driving a loop
/// until a completion has run.
enum StoreFixture {
    /// A fresh directory under /tmp; remove it with `removeTree`.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/stunmesh-store-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp: \(Errno.current)") }
        return String(cString: made)
    }

    /// rm -rf `path`.
    static func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                removeTree("\(path)/\(name)")
            }
            closedir(dir)
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// The names in a directory, sorted, without "." and "..".
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Writes a file (mode `mode`).
    static func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        let fd = try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        defer { Sys.close(fd) }
        try Sys.writeAll(fd, Array(text.utf8))
        fchmod(fd, mode)
    }

    /// A whole file's text, nil if it cannot be read.
    static func read(_ path: String) -> String? {
        guard let fd = try? Sys.open(path, O_RDONLY) else { return nil }
        defer { Sys.close(fd) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        while let n = try? buffer.withUnsafeMutableBytes({ try Sys.read(fd, $0) }), n > 0 { bytes += buffer[..<n] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `loop` until `done()` holds or `timeout` seconds pass; returns `done()`.
    @discardableResult
    static func drive(_ loop: EventLoop, timeout: Double = 10, until done: () -> Bool) -> Bool {
        let deadline = TimerWatcher(loop: loop) {}
        deadline.start(after: timeout)
        while !done() && deadline.isActive { loop.runOnce() }
        return done()
    }

    /// Whether process `pid` is gone (or a zombie nobody has reaped yet).
    static func isGone(_ pid: Int32) -> Bool {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state == "Z" || state == "X"
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Store keys for tests.
    static let keyA = String(repeating: "ab", count: 20)
    static let keyB = "d2870e322e54620b95bc27b57e63c2b3b8ec3ad5"
}
