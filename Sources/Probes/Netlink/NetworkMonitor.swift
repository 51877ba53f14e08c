import CLibMNL
import EventLoop
import Glibc
import SystemCalls

/// Watches the kernel's routing netlink (NETLINK_ROUTE) so the supervisor learns at once that
/// the network changed, instead of finding out from a dead tunnel minutes later.
///
/// Groups subscribed, and what each change means for the supervisor:
/// - RTMGRP_LINK: `linkAdded` / `linkRemoved` (a device appeared, went away, or was renamed;
///   for the WireGuard interface itself this is "interface recreated": re-read its port and key
///   and set every peer's endpoint again), `linkUp` / `linkDown` (IFF_UP and IFF_RUNNING gained
///   or lost: an uplink lost carrier or came back; re-STUN once it is up).
/// - RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR: `addressAdded` / `addressRemoved` (the host's
///   public or NATed address may have changed: re-STUN and republish). IPv6 addresses count
///   once duplicate address detection has passed; repeats of a known address are ignored.
/// - RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE: `defaultRouteChanged` for a default route of the
///   main table only (the path to the Internet moved: re-STUN). Other tables and other
///   destinations are ignored. The kernel does not announce IPv4 routes it drops because
///   their device went down (IPv6 ones it does): `linkDown` stands for those.
/// - `overrun`: the kernel dropped messages (ENOBUFS) or one could not be read; anything may
///   have changed, so re-check everything. The monitor keeps going and re-dumps its tables.
///
/// At start the monitor dumps the links and addresses that already exist, silently, so that
/// later messages are told apart from what was already there. The callback gets every change
/// from one readable event at once; debouncing bursts (see `Debouncer`) is the caller's job.
/// The socket is made in the calling thread's network namespace.
public final class NetworkMonitor {
    /// The libmnl socket; nil once stopped.
    private var socket: OpaquePointer?
    private var watcher: IOWatcher?
    private let onChange: ([NetworkChange]) -> Void
    private let portID: UInt32
    private var sequence: UInt32 = 0
    /// What the monitor knows of links and addresses (internal for tests).
    private(set) var view = NetworkView()
    /// 32 KiB holds any rtnetlink datagram in practice (libmnl's MNL_SOCKET_DUMP_SIZE); a
    /// bigger one is cut by the kernel and reported as an overrun.
    private var buffer = [UInt8](repeating: 0, count: 32 * 1024)
    /// Datagrams read per readable event at most, so a flood cannot hold the loop.
    private static let readsPerEvent = 64

    /// The legacy RTMGRP_* groups the monitor joins.
    static let groups = UInt32(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)

    /// Opens a NETLINK_ROUTE socket subscribed to link, v4/v6 address and v4/v6 route groups,
    /// non-blocking, watched by an IOWatcher on `loop`, and asks for the current links and
    /// addresses. `onChange` runs on the loop with the changes of one readable event.
    public convenience init(loop: EventLoop, onChange: @escaping ([NetworkChange]) -> Void) throws(NetlinkError) {
        try self.init(loop: loop, receiveBufferSize: nil, onChange: onChange)
    }

    /// As the public init; `receiveBufferSize` (SO_RCVBUF) lets tests force an overrun.
    init(loop: EventLoop, receiveBufferSize: Int32?, onChange: @escaping ([NetworkChange]) -> Void) throws(NetlinkError) {
        self.onChange = onChange
        let socket: OpaquePointer
        do { socket = try Sys.netlinkOpen(bus: NETLINK_ROUTE, flags: Int32(SOCK_NONBLOCK.rawValue)) } catch {
            throw .system("mnl_socket_open", error)
        }
        do {
            if let receiveBufferSize {
                try Sys.setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVBUF, receiveBufferSize)
            }
        } catch {
            Sys.netlinkClose(socket)
            throw .system("setsockopt SO_RCVBUF", error)
        }
        do { try Sys.netlinkBind(socket, groups: Self.groups) } catch {
            Sys.netlinkClose(socket)
            throw .system("mnl_socket_bind", error)
        }
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
        if let failure = requestPlannedDump() {
            stop()
            throw failure
        }
        let watcher = IOWatcher(loop: loop, fd: mnl_socket_get_fd(socket), events: .read) { [unowned self] _ in
            self.readable()
        }
        watcher.start()
        self.watcher = watcher
    }

    deinit { stop() }

    /// Stops watching and closes the socket. Idempotent.
    public func stop() {
        watcher?.stop()
        watcher = nil
        if let socket { Sys.netlinkClose(socket) }
        socket = nil
    }

    /// Reads what the socket holds, then reports the changes in one call.
    private func readable() {
        guard let socket else { return }
        var changes: [NetworkChange] = []
        var lost = false
        for _ in 0..<Self.readsPerEvent {
            let received = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) -> Int in try Sys.netlinkReceive(socket, raw) }
            }
            switch received {
            case .success(let count):
                do {
                    changes += try buffer.withUnsafeBytes { raw throws(NetlinkError) in
                        try view.apply(UnsafeRawBufferPointer(rebasing: raw[..<count]))
                    }
                } catch {
                    // A message the decoder does not understand: something changed that the
                    // monitor cannot name. Re-dumping at once could read the same bytes again;
                    // but a dump whose end may have been in these bytes must not block the
                    // next resync forever.
                    view.abandonDump()
                    changes.append(.overrun)
                }
                continue
            case .failure(let e) where e == .wouldBlock:
                break
            case .failure(let e) where e.rawValue == ENOBUFS || e.rawValue == ENOSPC:
                // ENOBUFS: the kernel dropped notifications. ENOSPC: one did not fit. Either
                // way the tables may be stale: say so and dump them again.
                changes.append(.overrun)
                lost = true
                continue
            case .failure:
                // recvmsg on a netlink socket fails with nothing else in practice; report it as
                // lost messages and let the next readable event try again.
                changes.append(.overrun)
            }
            break  // would block, or failed: done reading for this event
        }
        if lost { view.planResync() }
        _ = requestPlannedDump()
        changes = Self.coalescingOverruns(changes)
        if !changes.isEmpty { onChange(changes) }
    }

    /// Sends the next dump the view plans, if none is running. Returns why it could not.
    private func requestPlannedDump() -> NetlinkError? {
        guard let socket else { return nil }
        let next = sequence &+ 1 == 0 ? 1 : sequence &+ 1
        guard let kind = view.startNextDump(sequence: next, portID: portID) else { return nil }
        sequence = next
        let request = Self.dumpRequest(kind, sequence: next)
        let sent = request.withUnsafeBytes { raw in Result { () throws(Errno) in try Sys.netlinkSend(socket, raw) } }
        guard case .failure(let error) = sent else { return nil }
        view.abandonDump()
        return .system("mnl_socket_sendto", error)
    }

    /// The RTM_GETLINK or RTM_GETADDR dump request (all families), built with libmnl.
    static func dumpRequest(_ kind: NetworkView.DumpKind, sequence: UInt32) -> [UInt8] {
        let bodySize = kind == .links ? MemoryLayout<ifinfomsg>.size : MemoryLayout<ifaddrmsg>.size
        let size = Int(mnl_nlmsg_size(bodySize))
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        let nlh = mnl_nlmsg_put_header(raw.baseAddress)!
        nlh.pointee.nlmsg_type = UInt16(kind == .links ? RTM_GETLINK : RTM_GETADDR)
        nlh.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
        nlh.pointee.nlmsg_seq = sequence
        // Zero-filled: family AF_UNSPEC, i.e. every family.
        _ = mnl_nlmsg_put_extra_header(nlh, bodySize)
        return Array(UnsafeRawBufferPointer(start: raw.baseAddress, count: Int(nlh.pointee.nlmsg_len)))
    }

    /// One `.overrun` per batch is enough: it already means "re-check everything".
    static func coalescingOverruns(_ changes: [NetworkChange]) -> [NetworkChange] {
        var seenOverrun = false
        return changes.filter { change in
            guard change == .overrun else { return true }
            defer { seenOverrun = true }
            return !seenOverrun
        }
    }
}
