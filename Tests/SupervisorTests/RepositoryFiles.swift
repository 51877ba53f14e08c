import Glibc

/// Files of this repository that tests check against (docs/state-machine.md, docs/config.md, the
/// stunmesh-go example configs), found from this source file's path.
enum RepositoryFiles {
    /// The repository's root directory.
    static var root: String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }

    /// The text of `relative` (from the root), nil when it cannot be read.
    static func read(_ relative: String) -> String? {
        guard let file = fopen("\(root)/\(relative)", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
