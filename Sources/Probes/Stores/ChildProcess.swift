import EventLoop
import Glibc
import SystemCalls

/// How a child process ended.
enum ChildExit: Equatable, Sendable, CustomStringConvertible {
    /// It called exit with this status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a raw waitpid status (the WIFEXITED / WTERMSIG macros, which Swift cannot import).
    init(waitStatus status: Int32) {
        self = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    /// Whether it exited with status 0.
    var succeeded: Bool { self == .exited(0) }

    /// "exited with status 3" / "killed by signal 9".
    var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// What a child process left behind.
struct ChildOutput: Sendable {
    /// How it ended.
    var exit: ChildExit
    /// What it wrote on stdout (up to the output limit).
    var stdout: [UInt8]
    /// What it wrote on stderr (up to the output limit).
    var stderr: [UInt8]
}

/// Why a child process gave no output.
enum ChildFailure: Error, Sendable, CustomStringConvertible {
    /// It could not be started (pipes, posix_spawn, pidfd_open).
    case cannotStart(Errno)
    /// Its standard input did not fit in the pipe.
    case inputTooLarge(Int)
    /// It ran past its timeout and was killed.
    case timedOut(Double)
    /// waitpid failed, so how it ended is unknown (only if something else reaped it).
    case statusLost(Errno)

    /// A sentence for logs.
    var description: String {
        switch self {
        case .cannotStart(let e): return "cannot start: \(e)"
        case .inputTooLarge(let n): return "standard input of \(n) bytes does not fit in a pipe"
        case .timedOut(let seconds): return "timed out after \(seconds) s and was killed"
        case .statusLost(let e): return "exit status lost: \(e)"
        }
    }
}

/// Runs one child process (a store plugin) on the event loop without ever blocking it: its
/// stdin is written in full before it starts, stdout and stderr are read from non-blocking
/// pipes, its exit is noticed through a pidfd (libev's child watchers only work on the default
/// loop, which the daemon does not use), and it is killed with its whole process group at
/// the timeout. The instance keeps itself alive until it has reported.
final class ChildProcess {
    /// Starts `command` with `arguments`, feeds it `input` then end of file, and calls
    /// `completion` on the loop (never synchronously) once it has exited or been killed.
    /// Output beyond `outputLimit` bytes per stream is read and dropped.
    static func run(loop: EventLoop, command: String, arguments: [String], input: [UInt8], timeout: Double,
                    outputLimit: Int = 1 << 20, environment: [String] = [],
                    completion: @escaping (Result<ChildOutput, ChildFailure>) -> Void) {
        do throws(ChildFailure) {
            let child = try ChildProcess(loop: loop, command: command, arguments: arguments, input: input,
                                         timeout: timeout, outputLimit: outputLimit, environment: environment,
                                         completion: completion)
            child.start()
        } catch {
            loop.soon { completion(.failure(error)) }
        }
    }

    private let loop: EventLoop
    private let pid: pid_t
    private let pidfd: Int32
    private let timeout: Double
    private let outputLimit: Int
    private let completion: (Result<ChildOutput, ChildFailure>) -> Void
    private var stdoutPipe: Int32, stderrPipe: Int32
    private var stdout: [UInt8] = [], stderr: [UInt8] = []
    // The watchers' callbacks hold `self` strongly: that cycle is what keeps a running child
    // alive; `finish` breaks it.
    private var watchers: [IOWatcher] = []
    private var timer: TimerWatcher?
    private var timedOut = false
    private var finished = false

    private init(loop: EventLoop, command: String, arguments: [String], input: [UInt8], timeout: Double,
                 outputLimit: Int, environment: [String],
                 completion: @escaping (Result<ChildOutput, ChildFailure>) -> Void) throws(ChildFailure) {
        self.loop = loop
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.completion = completion
        var opened: [Int32] = []
        func pipe() throws(ChildFailure) -> (read: Int32, write: Int32) {
            do {
                let p = try Sys.pipe()
                opened += [p.read, p.write]
                return p
            } catch { throw .cannotStart(error) }
        }
        do throws(ChildFailure) {
            // The whole input goes into the pipe before the child exists: no blocking write, and
            // no SIGPIPE if the child exits without reading it.
            let inputPipe = try pipe()
            let stdin = try ChildProcess.fill(inputPipe, with: input)
            opened.removeAll { $0 == inputPipe.write }  // fill closed it
            let out = try pipe(), err = try pipe()
            let pid: pid_t
            do {
                try Sys.setNonBlocking(out.read)
                try Sys.setNonBlocking(err.read)
                pid = try Sys.spawn(command, arguments: arguments, stdin: stdin, stdout: out.write, stderr: err.write,
                                    extraEnvironment: environment)
            } catch { throw .cannotStart(error) }
            for fd in [stdin, out.write, err.write] { Sys.close(fd) }
            opened = [out.read, err.read]
            do { pidfd = try Sys.pidfdOpen(pid) } catch {
                _ = try? Sys.kill(-pid, SIGKILL)
                _ = try? Sys.waitpid(pid)
                throw .cannotStart(error)
            }
            self.pid = pid
            stdoutPipe = out.read
            stderrPipe = err.read
        } catch {
            opened.forEach(Sys.close)
            throw error
        }
    }

    /// Writes `input` into a fresh pipe and closes its write end; returns the read end.
    private static func fill(_ pipe: (read: Int32, write: Int32), with input: [UInt8]) throws(ChildFailure) -> Int32 {
        do throws(Errno) {
            try Sys.setNonBlocking(pipe.write)
            var written = 0
            while written < input.count {
                written += try input.withUnsafeBytes { raw in
                    Result { () throws(Errno) in try Sys.write(pipe.write, UnsafeRawBufferPointer(rebasing: raw[written...])) }
                }.get()
            }
        } catch {
            throw error == .wouldBlock ? .inputTooLarge(input.count) : .cannotStart(error)
        }
        Sys.close(pipe.write)
        return pipe.read
    }

    private func start() {
        let out = IOWatcher(loop: loop, fd: stdoutPipe, events: .read) { _ in self.drain(stdout: true) }
        let err = IOWatcher(loop: loop, fd: stderrPipe, events: .read) { _ in self.drain(stdout: false) }
        let exit = IOWatcher(loop: loop, fd: pidfd, events: .read) { _ in self.reap() }
        watchers = [out, err, exit]
        watchers.forEach { $0.start() }
        let timer = TimerWatcher(loop: loop) { self.killOnTimeout() }
        timer.start(after: timeout)
        self.timer = timer
    }

    /// Reads what is available on one pipe; stops watching it at end of file.
    private func drain(stdout isStdout: Bool) {
        let fd = isStdout ? stdoutPipe : stderrPipe
        guard fd >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n: Int
            do throws(Errno) {
                n = try buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try Sys.read(fd, raw) } }.get()
            } catch {
                if error != .wouldBlock { closePipe(isStdout) }
                return
            }
            if n == 0 { closePipe(isStdout); return }
            let room = max(0, outputLimit - (isStdout ? stdout.count : stderr.count))
            if isStdout { stdout += buffer[..<min(n, room)] } else { stderr += buffer[..<min(n, room)] }
        }
    }

    private func closePipe(_ isStdout: Bool) {
        watchers[isStdout ? 0 : 1].stop()
        if isStdout { Sys.close(stdoutPipe); stdoutPipe = -1 } else { Sys.close(stderrPipe); stderrPipe = -1 }
    }

    private func killOnTimeout() {
        timedOut = true
        _ = try? Sys.kill(-pid, SIGKILL)  // the process group: the plugin and what it started
        _ = try? Sys.kill(pid, SIGKILL)
    }

    /// The pidfd is readable: the child has exited. Everything it wrote is in the pipes by now,
    /// so read it and report; descendants still holding the pipes open are not waited for.
    private func reap() {
        guard !finished else { return }
        let status: Result<Int32, Errno>
        do throws(Errno) {
            guard let s = try Sys.waitpidNoHang(pid) else { return }
            status = .success(s)
        } catch {
            status = .failure(error)
        }
        drain(stdout: true)
        drain(stdout: false)
        finished = true
        watchers.forEach { $0.stop() }
        timer?.stop()
        for fd in [stdoutPipe, stderrPipe, pidfd] where fd >= 0 { Sys.close(fd) }
        let result: Result<ChildOutput, ChildFailure>
        switch status {
        case _ where timedOut: result = .failure(.timedOut(timeout))
        case .failure(let e): result = .failure(.statusLost(e))
        case .success(let s): result = .success(ChildOutput(exit: ChildExit(waitStatus: s), stdout: stdout, stderr: stderr))
        }
        // Watchers are released on the next iteration, not inside their own callback.
        loop.soon {
            self.watchers = []
            self.timer = nil
            self.completion(result)
        }
    }
}
