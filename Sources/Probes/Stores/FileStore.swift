import EventLoop
import Glibc
import SystemCalls

/// A store in a local directory, one file per key: for tests, for peers that share a file
/// system (NFS, a synced folder), and for running several daemons on one host. Writes replace
/// a file atomically (temporary file, fsync, rename), so readers never see half a record.
///
/// Writes wait in a queue and go out in order, at most `defaultWriteSlice` seconds of them per loop
/// pass: each costs an fsync (a millisecond on an SSD, more on a router's flash), and a hub's
/// start asks for every peer's first record at once — 5,000 writes in one pass held the loop
/// for 5 s, with the live partner's completion (its write was the first: `StartOrder`) and every
/// packet waiting behind them.
public final class FileStore: Store {
    /// "file <directory>".
    public let name: String
    /// Where the records are.
    public let directory: String
    /// Records are tiny; anything this large is not one.
    static let maximumFileSize = 64 * 1024
    /// The longest run of writes in one loop pass, seconds (the write that crosses it finishes).
    public static let defaultWriteSlice = 0.01
    private let writeSlice: Double
    private let loop: EventLoop
    private var watcher: FileStoreWatcher?
    private var queuedWrites: [(key: String, value: String, completion: (Result<Void, StoreError>) -> Void)] = []
    /// The next queued write (the ones before it went out).
    private var nextWrite = 0
    /// Writes made in all (for tests).
    public private(set) var writes = 0

    /// A store in `directory`, which is created (with its parents) on the first write;
    /// `writeSlice`: see `defaultWriteSlice`.
    public init(loop: EventLoop, directory: String, writeSlice: Double = FileStore.defaultWriteSlice) {
        self.loop = loop
        self.writeSlice = writeSlice
        self.directory = directory
        self.name = "file \(directory)"
    }

    /// Reads `<directory>/<key>`, trimmed; nil if the file is missing or empty.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        let result = StoreText.isKey(key) ? read(key) : .failure(StoreText.badKey(key))
        loop.soon { completion(result) }
    }

    /// Notices changes of `<directory>/<key>`: inotify, with a poll of its modification time as
    /// the fallback for file systems inotify does not see (NFS, sync tools).
    public func watch(key: String, onChange: @escaping () -> Void) -> StoreWatch? {
        guard StoreText.isKey(key) else { return nil }
        if watcher == nil { watcher = FileStoreWatcher(loop: loop, directory: directory) }
        return watcher?.add(key: key, onChange: onChange)
    }

    /// Replaces `<directory>/<key>` with `value`, after the writes asked for before it.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        queuedWrites.append((key, value, completion))
        // The queue holds the store until its writes are made (a write asked for is a write made).
        if queuedWrites.count - nextWrite == 1 { loop.soon { self.writeSome() } }
    }

    /// Writes queued records in order for up to `writeSlice` seconds, then yields to the loop.
    private func writeSome() {
        let start = WallClock.monotonicMicroseconds()
        while nextWrite < queuedWrites.count {
            let (key, value, completion) = queuedWrites[nextWrite]
            nextWrite += 1
            let result = write(key, value)
            writes += 1
            loop.soon { completion(result) }
            if Double(WallClock.monotonicMicroseconds() - start) / 1e6 >= writeSlice { break }
        }
        if nextWrite == queuedWrites.count {
            queuedWrites = []
            nextWrite = 0
        } else {
            loop.soon { self.writeSome() }
        }
    }

    private func read(_ key: String) -> Result<String?, StoreError> {
        let path = "\(directory)/\(key)"
        do throws(Errno) {
            let fd: Int32
            do { fd = try Sys.open(path, O_RDONLY) } catch where error == .noEntry { return .success(nil) }
            defer { Sys.close(fd) }
            var contents: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try Sys.read(fd, raw) } }.get()
                if n == 0 { break }
                contents += buffer[..<n]
                if contents.count > Self.maximumFileSize {
                    return .failure(StoreError("\(path) is larger than \(Self.maximumFileSize) bytes: not a record"))
                }
            }
            let text = StoreText.trimmed(String(decoding: contents, as: UTF8.self))
            return .success(text.isEmpty ? nil : text)
        } catch {
            return .failure(StoreError("cannot read \(path): \(error)"))
        }
    }

    private func write(_ key: String, _ value: String) -> Result<Void, StoreError> {
        let path = "\(directory)/\(key)"
        do throws(Errno) {
            try AtomicFile.write(value, to: path)
            return .success(())
        } catch {
            return .failure(StoreError("cannot write \(path): \(error)"))
        }
    }
}
