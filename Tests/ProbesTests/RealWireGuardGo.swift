import Glibc
import Probes
import SystemCalls

/// Test helper: a real wireguard-go in a throwaway network namespace, and a way to run `wg`.
final class RealWireGuardGo {
    let interface: String
    let pid: pid_t

    init(interface: String) throws {
        self.interface = interface
        pid = try spawn(["/usr/bin/unshare", "-n", "/usr/bin/wireguard-go", "-f", interface])
        // Wait (bounded) for the UAPI socket.
        for _ in 0..<100 where !UAPIClient.exists(interface: interface) { usleep(20_000) }
        guard UAPIClient.exists(interface: interface) else { stop(); throw Errno.timedOut }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        unlink("/var/run/wireguard/\(interface).sock")
    }

    /// Runs a command to completion, feeding `stdin`; throws if it exits non-zero.
    func run(_ argv: String..., stdin: String = "") throws {
        let pid = try spawn(argv.first!.hasPrefix("/") ? argv : ["/usr/bin/" + argv[0]] + argv.dropFirst(), stdin: stdin)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw Errno(EIO) }
    }
}

/// posix_spawn with an optional stdin string (through a pipe).
func spawn(_ argv: [String], stdin: String? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var pipe: (read: Int32, write: Int32)? = nil
    if stdin != nil {
        let p = try Sys.pipe()
        pipe = p
        posix_spawn_file_actions_adddup2(&actions, p.read, 0)
    }
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    if let p = pipe {
        Sys.close(p.read)
        if rc == 0 { try Sys.writeAll(p.write, Array(stdin!.utf8)) }
        Sys.close(p.write)
    }
    guard rc == 0 else { throw Errno(rc) }
    return pid
}
