import CLinuxNet
import EventLoop
import Glibc
import JSON
import Probes
import SystemCalls

/// Scaffolding for the HTTP client and HTTP store tests: the package's paths, processes with
/// their output in a file, and sending one request while driving the loop.
enum HTTPFixture {
    /// The package root, found from this file's path (…/Tests/ProbesTests/HTTPTestSupport.swift).
    static let packageRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// posix_spawn of `argv` with stdin from /dev/null and stdout and stderr appended to `log`.
    static func spawn(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw Errno(rc) }
        return pid
    }

    /// SIGKILL and reap.
    static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Runs a command to completion (output to `log`); its exit status.
    @discardableResult
    static func run(_ argv: [String], log: String = "/dev/null") -> Int32 {
        guard let pid = try? spawn(argv, log: log) else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }

    /// Sends `request` and drives `loop` until it completes (or `limit` seconds pass).
    static func send(_ client: HTTPClient, _ loop: EventLoop, _ request: HTTPRequest,
                     limit: Double = 20) -> Result<HTTPResponse, HTTPError>? {
        var result: Result<HTTPResponse, HTTPError>?
        client.send(request) { result = $0 }
        StoreFixture.drive(loop, timeout: limit) { result != nil }
        return result
    }

    /// A TCP port on 127.0.0.1 that nobody listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let fd = try Sys.socket(AF_INET, clinuxnet_sock_stream(), 0)
        defer { Sys.close(fd) }
        return try bindLoopback(fd)
    }

    /// Binds `fd` to 127.0.0.1 on an ephemeral port; returns the port.
    static func bindLoopback(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try Sys.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try Sys.getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The Cloudflare v4 stand-in (tests/support/fake_cloudflare.py) on 127.0.0.1, started by a
/// test and always stopped by it; switched and inspected over its /__ control routes.
final class FakeCloudflare {
    static let token = "cf-test-token-5e0b2c7a9d4f"
    static let zone = "example.com"
    static let zoneID = "023e105f4ecef8ad9ca31a8372d0c353"
    let directory: String
    let pid: pid_t
    let port: Int
    private let loop: EventLoop
    private let client: HTTPClient

    /// Starts the server (with TLS when `tls` names a certificate and key) and waits for its port.
    init(loop: EventLoop, client: HTTPClient, tls: (cert: String, key: String)? = nil) throws {
        self.loop = loop
        self.client = client
        directory = StoreFixture.temporaryDirectory()
        var argv = ["/usr/bin/python3", HTTPFixture.packageRoot + "/tests/support/fake_cloudflare.py",
                    "--port-file", directory + "/port", "--token", Self.token,
                    "--zone", Self.zone, "--zone-id", Self.zoneID]
        if let tls { argv += ["--tls", tls.cert, tls.key] }
        do { pid = try HTTPFixture.spawn(argv, log: directory + "/server.log") } catch {
            StoreFixture.removeTree(directory)
            throw error
        }
        var port: Int?
        for _ in 0..<500 {
            if let text = StoreFixture.read(directory + "/port"), let number = Int(text) { port = number; break }
            usleep(20_000)
        }
        guard let port else {
            HTTPFixture.kill(pid)
            StoreFixture.removeTree(directory)
            throw Errno.timedOut
        }
        self.port = port
    }

    /// Kills the server and removes its directory.
    func stop() {
        HTTPFixture.kill(pid)
        StoreFixture.removeTree(directory)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var apiURL: String { baseURL + "/client/v4" }

    /// Changes the server's behaviour (see the script's doc string).
    func control(_ settings: [(String, JSONValue)]) {
        let request = HTTPRequest(method: "POST", url: baseURL + "/__control",
                                  body: Array(JSONValue.object(settings).encoded().utf8), timeout: 10)
        _ = HTTPFixture.send(client, loop, request)
    }

    /// The API calls the server received, oldest first.
    func calls() -> [JSONValue] { fetch("/__calls") }

    /// The zone's records.
    func records() -> [JSONValue] { fetch("/__records") }

    private func fetch(_ path: String) -> [JSONValue] {
        guard case .success(let response)? = HTTPFixture.send(client, loop, HTTPRequest(method: "GET", url: baseURL + path, timeout: 10)),
              let json = try? JSONValue(parsing: response.text) else { return [] }
        return json.arrayValue ?? []
    }
}
