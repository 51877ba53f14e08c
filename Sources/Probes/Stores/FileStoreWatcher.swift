import EventLoop
import Glibc
import SystemCalls

/// The file store's change notification: inotify on the store's directory (a record written in
/// place, or renamed into it as `AtomicFile` and stunmesh-go's file plugin do, is seen at once),
/// and, because NFS, SMB and file-sync tools change files without inotify noticing, a poll of the
/// watched files' modification time and size every `pollInterval` seconds (a `stat` each: no
/// store call). One inotify descriptor per directory, shared by every watched key.
final class FileStoreWatcher {
    /// The directory watched.
    let directory: String
    /// Seconds between two polls of the watched files (the fallback).
    let pollInterval: Double
    private let loop: EventLoop
    private var watches: [String: [Watch]] = [:]
    private var stamps: [String: (modified: Int64, size: Int64)?] = [:]
    private var fd: Int32 = -1
    private var io: IOWatcher?
    private lazy var pollTimer = TimerWatcher(loop: loop) { [unowned self] in self.poll() }
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// One key's watch.
    final class Watch: StoreWatch {
        let key: String
        var onChange: (() -> Void)?
        weak var owner: FileStoreWatcher?

        init(key: String, onChange: @escaping () -> Void, owner: FileStoreWatcher) {
            self.key = key
            self.onChange = onChange
            self.owner = owner
        }

        func cancel() {
            onChange = nil
            owner?.remove(self)
        }
    }

    init(loop: EventLoop, directory: String, pollInterval: Double = 5) {
        self.loop = loop
        self.directory = directory
        self.pollInterval = pollInterval
    }

    deinit {
        io?.stop()
        if fd >= 0 { Sys.close(fd) }
        pollTimer.stop()
    }

    /// Watches `key`'s file.
    func add(key: String, onChange: @escaping () -> Void) -> Watch {
        let watch = Watch(key: key, onChange: onChange, owner: self)
        if watches.isEmpty {
            startInotify()
            pollTimer.start(after: pollInterval, repeat: pollInterval)
        }
        watches[key, default: []].append(watch)
        if stamps[key] == nil { stamps[key] = .some(try? Sys.fileStamp(path(key))) }
        return watch
    }

    fileprivate func remove(_ watch: Watch) {
        watches[watch.key]?.removeAll { $0 === watch }
        if watches[watch.key]?.isEmpty == true {
            watches[watch.key] = nil
            stamps[watch.key] = nil
        }
        if watches.isEmpty { stopInotify(); pollTimer.stop() }
    }

    private func path(_ key: String) -> String { "\(directory)/\(key)" }

    /// inotify on the directory (made first if missing: the partner may not have written yet).
    /// When inotify cannot be had, the poll alone notices changes.
    private func startInotify() {
        guard fd < 0 else { return }
        do {
            try AtomicFile.makeDirectories(directory)
            let made = try Sys.inotifyInit()
            do {
                _ = try Sys.inotifyWatch(made, directory: directory)
            } catch {
                Sys.close(made)
                throw error
            }
            fd = made
            let watcher = IOWatcher(loop: loop, fd: made, events: .read) { [weak self] _ in self?.readEvents() }
            watcher.start()
            io = watcher
        } catch {
            fd = -1
        }
    }

    private func stopInotify() {
        io?.stop()
        io = nil
        if fd >= 0 { Sys.close(fd) }
        fd = -1
    }

    private func readEvents() {
        var changed = Set<String>()
        var gone = false
        while true {
            let count: Int
            do { count = try Sys.read(fd, into: &buffer) } catch { break }  // EAGAIN: drained
            guard count > 0 else { break }
            let events = inotifyEventNames(buffer[0..<count])
            changed.formUnion(events.names)
            gone = gone || events.directoryGone
        }
        if gone {
            // The directory was removed or moved: watch it again (made anew) and tell everyone.
            stopInotify()
            startInotify()
            changed.formUnion(watches.keys)
        }
        for key in changed where watches[key] != nil { notify(key) }
    }

    private func poll() {
        for key in Array(watches.keys) {
            let now = try? Sys.fileStamp(path(key))
            let before = stamps[key] ?? nil
            if now?.modified != before?.modified || now?.size != before?.size { notify(key) }
        }
    }

    private func notify(_ key: String) {
        stamps[key] = .some(try? Sys.fileStamp(path(key)))
        for watch in watches[key] ?? [] { watch.onChange?() }
    }
}
