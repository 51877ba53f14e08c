import EventLoop
import Glibc
import SystemCalls

/// A store in a local directory, one file per key: for tests, for peers that share a file
/// system (NFS, a synced folder), and for running several daemons on one host. Writes replace
/// a file atomically (temporary file, fsync, rename), so readers never see half a record.
public final class FileStore: Store {
    /// "file <directory>".
    public let name: String
    /// Where the records are.
    public let directory: String
    /// Records are tiny; anything this large is not one.
    static let maximumFileSize = 64 * 1024
    private let loop: EventLoop
    private var watcher: FileStoreWatcher?

    /// A store in `directory`, which is created (with its parents) on the first write.
    public init(loop: EventLoop, directory: String) {
        self.loop = loop
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

    /// Replaces `<directory>/<key>` with `value`.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        let result = StoreText.isKey(key) ? write(key, value) : .failure(StoreText.badKey(key))
        loop.soon { completion(result) }
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
