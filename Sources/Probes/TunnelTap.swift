import CLinuxNet
import EventLoop
import Glibc
import SystemCalls

/// Says when a packet goes *into* a WireGuard interface (the host routing traffic into the
/// tunnel), so that an idle daemon reads WireGuard at once instead of at its next idle read,
/// up to `poll_interval` later (docs/path-judgement.md, "waking on traffic").
///
/// Why: while every peer is idle the daemon reads WireGuard's counters once per `poll_interval`
/// (1 s) and sends nothing. When traffic resumes after a fault — the carrier moved us while the
/// tunnel was idle — the suspicion "we send, nothing comes back" can only start at the first read
/// that sees the traffic, so the restore carried a wait of 0–1 s for that read (bench/reconnect.sh:
/// the spread of its figures). An `AF_PACKET` socket bound to the interface, with a classic BPF
/// filter that keeps only `PACKET_OUTGOING` and one byte of each, wakes the loop at the first
/// packet; it sees what the host sends into the tunnel (kernel WireGuard or wireguard-go's TUN
/// alike), never WireGuard's own keepalives or handshakes (those leave by UDP, not through the
/// interface).
///
/// One-shot: after the first packet the tap closes itself, before `sent` is called; the daemon
/// opens a new one when the tunnels are idle again. While traffic flows there is no tap at all,
/// so a busy tunnel pays nothing for it (a packet socket on a device costs a clone per packet).
///
/// Contract: `sent` is called on the loop, from the socket's watcher, at most once, never inside
/// `init` and never after `close()`.
public final class TunnelTap {
    /// The interface watched.
    public let interface: String
    private var fd: Int32?
    private var watcher: IOWatcher?
    private let sent: () -> Void

    /// Opens the tap on `interface` (needs CAP_NET_RAW) and starts listening.
    public init(loop: EventLoop, interface: String, sent: @escaping () -> Void) throws(Errno) {
        let index = try Sys.interfaceIndex(interface)
        // Protocol 0: the socket receives nothing until it is bound, by then through its filter.
        let fd = try Sys.socket(AF_PACKET, clinuxnet_sock_dgram(), 0)
        do {
            try Sys.setNonBlocking(fd)
            try Sys.attachFilter(fd, Self.program)
            var address = clinuxnet_packet_address(index)
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    Result { () throws(Errno) in try Sys.bind(fd, raw, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
                }
            }
            try result.get()
        } catch {
            Sys.close(fd)
            throw error
        }
        self.interface = interface
        self.fd = fd
        self.sent = sent
        let watcher = IOWatcher(loop: loop, fd: fd, events: .read) { [weak self] _ in self?.readable() }
        watcher.start()
        self.watcher = watcher
    }

    deinit { close() }

    /// Whether the tap is still open (it closes itself at the first packet).
    public var isOpen: Bool { fd != nil }

    /// Stops listening and closes the socket; nothing is reported after this.
    public func close() {
        watcher?.stop()
        watcher = nil
        if let fd { Sys.close(fd) }
        fd = nil
    }

    private func readable() {
        guard fd != nil else { return }
        // The watcher whose callback this is stays alive until the callback returns.
        withExtendedLifetime(watcher) {
            close()
            sent()
        }
    }

    /// The filter: accept (one byte of) a packet whose type is PACKET_OUTGOING, drop the rest.
    static var program: [sock_filter] {
        let packetType = UInt32(bitPattern: Int32(SKF_AD_OFF) + Int32(SKF_AD_PKTTYPE))
        return [
            /* 0 */ sock_filter(code: UInt16(BPF_LD | BPF_W | BPF_ABS), jt: 0, jf: 0, k: packetType),  // A = packet type
            /* 1 */ sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 1, k: UInt32(PACKET_OUTGOING)),
            /* 2 */ sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 1),                   // accept 1 byte
            /* 3 */ sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0),                   // drop
        ]
    }
}
