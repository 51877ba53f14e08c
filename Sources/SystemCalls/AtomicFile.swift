import Glibc

/// Whole-file writes that readers never see half done and that survive a crash or power loss:
/// the status and metrics files (read at any moment by `stunmeshd status` and node_exporter) and
/// the file store's records. Each write goes to a temporary file of its own in the same directory
/// (`O_EXCL`, a name no other writer uses), is fsync'ed, renamed over the old file, and the
/// directory is fsync'ed so that the rename itself is durable. The one helper for every atomic
/// write of the daemon.
public enum AtomicFile {
    /// Temporary names stay unique within the process (several writers may share a directory).
    nonisolated(unsafe) private static var counter = 0

    /// Replaces `path` with `bytes` (mode `mode`), making missing directories first.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(Errno) {
        let directory = directory(of: path)
        try makeDirectories(directory)
        counter += 1
        let temporary = "\(directory)/.\(baseName(of: path)).\(Sys.getpid()).\(counter).tmp"
        let fd = try Sys.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        do throws(Errno) {
            defer { Sys.close(fd) }
            try Sys.writeAll(fd, bytes)
            try Sys.fsync(fd)
        } catch {
            try? Sys.unlink(temporary)
            throw error
        }
        do { try Sys.rename(temporary, path) } catch {
            try? Sys.unlink(temporary)
            throw error
        }
        let dir = try Sys.open(directory, O_RDONLY | O_DIRECTORY)
        defer { Sys.close(dir) }
        try Sys.fsync(dir)
    }

    /// Replaces `path` with `text`.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(Errno) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Creates `directory` and every missing directory above it (`mkdir -p`).
    public static func makeDirectories(_ directory: String) throws(Errno) {
        var current = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            current += "/" + part
            try Sys.mkdir(current, 0o755)
        }
    }

    /// The directory part of `path` ("." for a bare name, "/" for a file in the root).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
