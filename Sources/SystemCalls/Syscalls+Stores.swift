import CLinuxNet
import Glibc

// Syscalls for the record stores: starting plugin processes and naming temporary files.

extension Sys {
    /// posix_spawnp(3): starts `command` (looked up in PATH when it has no slash) with `arguments`
    /// as argv[1...], this process's environment plus `extraEnvironment` ("NAME=value" lines that
    /// replace variables of the same name), and `stdin`/`stdout`/`stderr` as descriptors
    /// 0/1/2. The child leads a new process group (so that a timeout can kill everything it
    /// started), and gets default signal dispositions and an empty signal mask whatever the
    /// daemon has set. Returns the child's pid.
    public static func spawn(_ command: String, arguments: [String], stdin: Int32, stdout: Int32,
                             stderr: Int32, extraEnvironment: [String] = []) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), mask = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The environment: ours, without the names `extraEnvironment` sets, then those.
        var envp: [UnsafeMutablePointer<CChar>?] = []
        if !extraEnvironment.isEmpty {
            let names = Set(extraEnvironment.map { String($0.prefix { $0 != "=" }) + "=" })
            var entry = environ
            while let line = entry.pointee {
                let text = String(cString: line)
                if !names.contains(where: { text.hasPrefix($0) }) { envp.append(strdup(line)) }
                entry += 1
            }
            envp += extraEnvironment.map { strdup($0) }
            envp.append(nil)
        }
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        // posix_spawnp returns the error number instead of setting errno; a mocked failure
        // returns -1 with errno set.
        let result = funnel("posix_spawn") {
            envp.isEmpty ? posix_spawnp(&pid, command, &actions, &attributes, argv, environ)
                : posix_spawnp(&pid, command, &actions, &attributes, argv, envp)
        }
        if result == -1 { throw Errno.current }
        if result != 0 { throw Errno(result) }
        return pid
    }

    /// waitpid(2), blocking: reaps a child known to be dead or dying (after SIGKILL) and returns
    /// its raw wait status.
    public static func waitpid(_ pid: pid_t) throws(Errno) -> Int32 {
        var status: Int32 = 0
        _ = try retrying("waitpid") { Glibc.waitpid(pid, &status, 0) }
        return status
    }

    /// getpid(2): makes temporary file names unique among daemons sharing a directory.
    public static func getpid() -> pid_t {
        funnel("getpid") { Glibc.getpid() }
    }
}

extension Sys {
    /// inotify_init1(2), non-blocking and close-on-exec.
    public static func inotifyInit() throws(Errno) -> Int32 {
        try retrying("inotify_init1") { clinuxnet_inotify_init() }
    }

    /// inotify_add_watch(2) on `directory` for files written, created or renamed into it, and
    /// for the directory itself going away; returns the watch descriptor.
    public static func inotifyWatch(_ fd: Int32, directory: String) throws(Errno) -> Int32 {
        try retrying("inotify_add_watch") { clinuxnet_inotify_add_watch(fd, directory) }
    }

    /// stat(2): the modification time (nanoseconds) and size of `path`; nil when it does not exist.
    public static func fileStamp(_ path: String) throws(Errno) -> (modified: Int64, size: Int64)? {
        var st = Glibc.stat()
        do {
            _ = try retrying("stat") { clinuxnet_stat(path, &st) }
        } catch where error == .noEntry {
            return nil
        }
        return (Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), Int64(st.st_size))
    }
}

/// The names in a buffer of inotify events (`struct inotify_event` records: wd, mask, cookie,
/// len, then `len` bytes of NUL-padded name), and whether one said the watched directory itself
/// went away. Pure: a short or malformed buffer ends the walk, never reads past `bytes`.
public func inotifyEventNames(_ bytes: ArraySlice<UInt8>) -> (names: [String], directoryGone: Bool) {
    var names: [String] = []
    var gone = false
    var offset = bytes.startIndex
    let header = 16
    while bytes.endIndex - offset >= header {
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let mask = u32(offset + 4)
        let length = Int(u32(offset + 12))
        guard length <= bytes.endIndex - offset - header else { break }
        let nameBytes = bytes[(offset + header)..<(offset + header + length)].prefix { $0 != 0 }
        if !nameBytes.isEmpty { names.append(String(decoding: nameBytes, as: UTF8.self)) }
        if mask & (0x400 | 0x800 | 0x8000) != 0 { gone = true }  // IN_DELETE_SELF, IN_MOVE_SELF, IN_IGNORED
        offset += header + length
    }
    return (names, gone)
}
