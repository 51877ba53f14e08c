import Glibc

// File-system calls the config loader needs to find its file (and its tests to clean up).

extension Sys {
    /// stat(2) (as fstatat(2) from the working directory): what `path` names (type, size),
    /// following symbolic links. The config search uses it to tell an existing regular file
    /// from a missing one or a directory.
    public static func stat(_ path: String) throws(Errno) -> Glibc.stat {
        var info = Glibc.stat()
        _ = try retrying("stat") { fstatat(AT_FDCWD, path, &info, 0) }
        return info
    }

    /// rmdir(2): removes an empty directory.
    public static func rmdir(_ path: String) throws(Errno) {
        _ = try retrying("rmdir") { Glibc.rmdir(path) }
    }
}
