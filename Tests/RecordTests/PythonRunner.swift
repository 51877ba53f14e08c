import Glibc
import Testing

/// What a python3 run printed.
struct PythonRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

struct PythonSpawnFailed: Error, CustomStringConvertible {
    var errno: Int32
    var description: String { "cannot run /usr/bin/python3 (errno \(errno)); install python3 and python3-nacl" }
}

/// Runs Debian's /usr/bin/python3 (not the PATH one, which lacks python3-nacl) with a script and
/// arguments, and collects its output. Test helper only; outputs are small.
func runPython(_ script: String, _ arguments: [String]) throws -> PythonRun {
    var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
    guard pipe(&out) == 0, pipe(&err) == 0 else { throw PythonSpawnFailed(errno: errno) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    for fd in out + err { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv = (["/usr/bin/python3", "-c", script] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/usr/bin/python3", &actions, nil, argv, environ)
    close(out[1]); close(err[1])
    defer { close(out[0]); close(err[0]) }
    guard spawned == 0 else { throw PythonSpawnFailed(errno: spawned) }
    let stdout = readAll(out[0]), stderr = readAll(err[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return PythonRun(status: exit, stdout: stdout, stderr: stderr)
}

private func readAll(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { bytes += buffer[..<n]; continue }
        if n < 0 && errno == EINTR { continue }
        break
    }
    return String(decoding: bytes, as: UTF8.self)
}
