import Glibc
import SystemCalls

/// A directory tree under /tmp for config tests, removed by `remove()`.
final class ConfigTempTree {
    /// The root directory.
    let root: String
    private var files: [String] = []
    private var directories: [String] = []

    init() throws {
        root = "/tmp/stunmeshd-config-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Sys.mkdir(root, 0o700)
        directories.append(root)
    }

    /// Creates `relative` (and is told about it for removal); returns its path.
    @discardableResult
    func directory(_ relative: String) throws -> String {
        let path = "\(root)/\(relative)"
        try Sys.mkdir(path, 0o700)
        directories.append(path)
        return path
    }

    /// Writes `text` to `relative`; returns its path.
    @discardableResult
    func file(_ relative: String, _ text: String) throws -> String {
        let path = "\(root)/\(relative)"
        let fd = try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { Sys.close(fd) }
        try Sys.writeAll(fd, Array(text.utf8))
        files.append(path)
        return path
    }

    /// Removes everything created, deepest first.
    func remove() {
        for path in files.reversed() { try? Sys.unlink(path) }
        for path in directories.reversed() { try? Sys.rmdir(path) }
    }
}

/// Keys from the worked example in the compatibility notes (A and B), plus an all-zero one.
enum ConfigTestKeys {
    static let a = "e06Qm75//kTEZaIgA31gjuNYl9Me+XLwf3SJLLD3PxM="
    static let b = "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA="
    static let zero = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    /// A Cloudflare token that must never appear in any error or description.
    static let token = "SECRET-TOKEN-7f3a9c"
}
