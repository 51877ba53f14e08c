import CLinuxNet
import Glibc
import SystemCalls

/// WireGuard through its UAPI unix socket (`/var/run/wireguard/<if>.sock`), as wireguard-go and
/// boringtun serve it. Each call opens the socket, sends one request and reads the answer with
/// a short timeout: the socket is local and answers in microseconds, so the loop is never held
/// longer than `timeout` even by a wedged WireGuard.
public final class UAPIClient: WireGuardBackend {
    /// The interface name, e.g. "wg0".
    public let interface: String
    /// The socket's path.
    public let socketPath: String
    /// Send and receive timeout in seconds.
    public let timeout: Double

    /// A client for `interface` whose socket lives in `socketDirectory`.
    public init(interface: String, socketDirectory: String = "/var/run/wireguard", timeout: Double = 2) {
        self.interface = interface
        self.socketPath = "\(socketDirectory)/\(interface).sock"
        self.timeout = timeout
    }

    /// Whether the interface's UAPI socket exists.
    public static func exists(interface: String, socketDirectory: String = "/var/run/wireguard") -> Bool {
        access("\(socketDirectory)/\(interface).sock", F_OK) == 0
    }

    /// `get=1`: the whole device.
    public func device() throws(WireGuardError) -> WireGuardDeviceState {
        try UAPIProtocol.parseDevice(exchange(UAPIProtocol.getRequest))
    }

    /// `set=1` with `update_only=true`: only this peer's endpoint and keepalive.
    public func setPeer(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) throws(WireGuardError) {
        let reply = try exchange(UAPIProtocol.setPeerRequest(publicKeyHex: publicKeyHex, endpoint: endpoint,
                                                             persistentKeepalive: persistentKeepalive))
        let code = try UAPIProtocol.errno(of: reply)
        guard code == 0 else { throw .refused(errno: code) }
    }

    /// `set=1` with `update_only=true`: only this peer's keepalive.
    public func setKeepalive(publicKeyHex: String, persistentKeepalive: Int) throws(WireGuardError) {
        let reply = try exchange(UAPIProtocol.setKeepaliveRequest(publicKeyHex: publicKeyHex,
                                                                  persistentKeepalive: persistentKeepalive))
        let code = try UAPIProtocol.errno(of: reply)
        guard code == 0 else { throw .refused(errno: code) }
    }

    /// Sends one request and returns the whole reply (up to its closing empty line).
    func exchange(_ request: String) throws(WireGuardError) -> String {
        let fd: Int32
        do { fd = try Sys.socket(AF_UNIX, clinuxnet_sock_stream(), 0) } catch { throw .system("socket", error) }
        defer { Sys.close(fd) }
        let tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        do {
            try Sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv)
            try Sys.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv)
        } catch { throw .system("setsockopt", error) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .noSuchInterface(interface) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                Result { () throws(Errno) in try Sys.connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        switch connected {
        case .success: break
        case .failure(let e) where e == .noEntry || e == .connectionRefused: throw .noSuchInterface(interface)
        case .failure(let e) where e == Errno(EACCES): throw .uapiAccessDenied(socketPath)
        case .failure(let e): throw .system("connect \(socketPath)", e)
        }

        do { try Sys.writeAll(fd, Array(request.utf8)) } catch { throw .system("write \(socketPath)", error) }

        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !UAPIProtocol.isComplete(reply) {
            let n: Int
            do { n = try Sys.recv(fd, into: &buffer) } catch {
                throw .system("read \(socketPath)", error)
            }
            if n == 0 { break }
            reply += buffer[..<n]
            guard reply.count < 1 << 24 else { throw .malformed("reply larger than 16 MiB") }
        }
        guard UAPIProtocol.isComplete(reply) else { throw .malformed("reply ended early") }
        return String(decoding: reply, as: UTF8.self)
    }
}
