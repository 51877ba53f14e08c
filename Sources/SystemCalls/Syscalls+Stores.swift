import CLinuxNet
import Glibc

// Syscalls for the record stores: starting plugin processes and naming temporary files.

extension Sys {
    /// posix_spawnp(3): starts `command` (looked up in PATH when it has no slash) with `arguments`
    /// as argv[1...], this process's environment, and `stdin`/`stdout`/`stderr` as descriptors
    /// 0/1/2. The child leads a new process group (so that a timeout can kill everything it
    /// started), and gets default signal dispositions and an empty signal mask whatever the
    /// daemon has set. Returns the child's pid.
    public static func spawn(_ command: String, arguments: [String], stdin: Int32, stdout: Int32,
                             stderr: Int32) throws(Errno) -> pid_t {
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
        var pid: pid_t = 0
        // posix_spawnp returns the error number instead of setting errno; a mocked failure
        // returns -1 with errno set.
        let result = funnel("posix_spawn") { posix_spawnp(&pid, command, &actions, &attributes, argv, environ) }
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
