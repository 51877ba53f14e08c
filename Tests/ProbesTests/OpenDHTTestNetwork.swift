import CLinuxNet
import EventLoop
import Glibc
import Probes
import SystemCalls

/// Two real OpenDHT nodes (Debian's dhtnode) with their HTTP proxies, in a network namespace of
/// their own with only `lo` up (dhtnode binds 0.0.0.0 and has no option to bind loopback). A lone
/// node answers 502 to puts, hence two; the second bootstraps from the first. The calling thread
/// is moved into the namespace until `stop()` (namespaces are per thread), so an `HTTPClient`
/// driven on it opens its sockets there. Everything it starts, `stop()` kills and removes.
final class OpenDHTTestNetwork {
    /// The two proxies' base URLs, as seen from inside the namespace.
    let proxies = ["http://127.0.0.1:8080", "http://127.0.0.1:8081"]
    let namespace = "stunmesh-dht-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private let directory = StoreFixture.temporaryDirectory()
    private var pids: [pid_t] = []
    private var namespaceMade = false
    private var savedNamespace: Int32 = -1

    /// Makes the namespace, starts both nodes and enters the namespace; waits (bounded) until both
    /// proxies accept connections. Cleans up after itself when it throws.
    static func start() throws -> OpenDHTTestNetwork {
        let network = OpenDHTTestNetwork()
        do {
            try network.setUp()
            return network
        } catch {
            network.stop()
            throw error
        }
    }

    private func setUp() throws {
        let log = directory + "/commands.log"
        guard HTTPFixture.run(["/usr/sbin/ip", "netns", "add", namespace], log: log) == 0 else { throw Errno(EPERM) }
        namespaceMade = true
        guard HTTPFixture.run(["/usr/sbin/ip", "-n", namespace, "link", "set", "lo", "up"], log: log) == 0 else { throw Errno(EIO) }
        let exec = ["/usr/sbin/ip", "netns", "exec", namespace, "/usr/bin/dhtnode", "-s"]
        pids.append(try HTTPFixture.spawn(exec + ["-p", "4222", "--proxyserver", "8080"], log: directory + "/node1.log"))
        pids.append(try HTTPFixture.spawn(exec + ["-p", "4223", "-b", "127.0.0.1:4222", "--proxyserver", "8081"],
                                          log: directory + "/node2.log"))
        savedNamespace = try Sys.open("/proc/thread-self/ns/net", O_RDONLY)
        let target = try Sys.open("/var/run/netns/\(namespace)", O_RDONLY)
        defer { Sys.close(target) }
        try setNetworkNamespace(target)
        for port in [8080, 8081] {
            var listening = false
            for _ in 0..<250 where !listening {
                listening = Self.accepts(port: port)
                if !listening { usleep(20_000) }
            }
            guard listening else { throw Errno.timedOut }
        }
    }

    /// Leaves the namespace, kills the nodes, deletes the namespace.
    func stop() {
        if savedNamespace >= 0 {
            try? setNetworkNamespace(savedNamespace)
            Sys.close(savedNamespace)
            savedNamespace = -1
        }
        for pid in pids { HTTPFixture.kill(pid) }
        pids = []
        if namespaceMade { HTTPFixture.run(["/usr/sbin/ip", "netns", "del", namespace]) }
        namespaceMade = false
        StoreFixture.removeTree(directory)
    }

    /// Puts throwaway values through the first proxy until the DHT takes them (the second node
    /// must have joined first), at most `limit` seconds; whether it did.
    func waitUntilPutsWork(_ client: HTTPClient, _ loop: EventLoop, limit: Double = 20) -> Bool {
        let started = StoreFixture.now()
        while StoreFixture.now() - started < limit {
            let put = HTTPRequest(method: "POST", url: proxies[0] + "/key/" + String(repeating: "5a", count: 20),
                                  body: Array(#"{"data":"d2FybS11cA=="}"#.utf8), timeout: 5)
            if case .success(let response)? = HTTPFixture.send(client, loop, put), response.status == 200 { return true }
            StoreFixture.drive(loop, timeout: 0.2) { false }
        }
        return false
    }

    /// Whether a TCP connection to 127.0.0.1:`port` succeeds (from the current thread's namespace).
    private static func accepts(port: Int) -> Bool {
        guard let fd = try? Sys.socket(AF_INET, clinuxnet_sock_stream(), 0) else { return false }
        defer { Sys.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        return (try? withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try Sys.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }) != nil
    }
}
