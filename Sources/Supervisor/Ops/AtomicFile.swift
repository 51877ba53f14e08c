import Glibc
import SystemCalls

/// Whole-file writes that readers never see half done: the status and metrics files are read
/// at any moment (`stunmeshd status`, node_exporter), so each write goes to a temporary file in
/// the same directory, is fsync'ed, and is renamed over the old one.
enum AtomicFile {
    /// Replaces `path` with `text` (mode `mode`), making missing directories first.
    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(Errno) {
        try makeDirectories(containing: path)
        let temporary = "\(directory(of: path))/.\(baseName(of: path)).\(Sys.getpid()).tmp"
        let fd = try Sys.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        do {
            try Sys.writeAll(fd, Array(text.utf8))
            try Sys.fsync(fd)
            Sys.close(fd)
            try Sys.rename(temporary, path)
        } catch {
            Sys.close(fd)
            try? Sys.unlink(temporary)
            throw error
        }
    }

    /// Creates every missing directory above `path` (like `mkdir -p` of its directory).
    static func makeDirectories(containing path: String) throws(Errno) {
        let parts = directory(of: path).split(separator: "/")
        var current = path.hasPrefix("/") ? "" : "."
        for part in parts {
            current += "/" + part
            try Sys.mkdir(current, 0o755)
        }
    }

    /// The directory part of `path` ("." for a bare name, "/" for a file in the root).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
