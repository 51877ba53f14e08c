import Glibc
import CLibMNL

// Syscalls for netlink sockets, made through libmnl (which owns the socket, its port id and the
// recvmsg details), routed through the funnel like every other syscall so that tests can script
// ENOBUFS (the kernel dropped messages) and EAGAIN.

extension Sys {
    /// mnl_socket_open2(3): a netlink socket on `bus` (NETLINK_ROUTE, NETLINK_GENERIC) with
    /// socket(2) `flags` (SOCK_NONBLOCK; SOCK_CLOEXEC is always added). Free it with
    /// `netlinkClose`.
    public static func netlinkOpen(bus: Int32, flags: Int32 = 0) throws(Errno) -> OpaquePointer {
        var socket: OpaquePointer?
        _ = try retrying("mnl_socket_open") { () -> Int32 in
            socket = mnl_socket_open2(bus, flags | Int32(SOCK_CLOEXEC.rawValue))
            return socket == nil ? -1 : 0
        }
        guard let socket else { throw Errno.invalid }  // a mocked success has no socket to return
        return socket
    }

    /// mnl_socket_bind(3): joins the multicast `groups` (a bitmask of legacy RTMGRP_* groups) and
    /// lets the kernel choose the port id.
    public static func netlinkBind(_ socket: OpaquePointer, groups: UInt32) throws(Errno) {
        _ = try retrying("mnl_socket_bind") { mnl_socket_bind(socket, groups, pid_t(MNL_SOCKET_AUTOPID)) }
    }

    /// mnl_socket_sendto(3): sends one request to the kernel; returns the bytes sent.
    public static func netlinkSend(_ socket: OpaquePointer, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retrying("mnl_socket_sendto") { mnl_socket_sendto(socket, bytes.baseAddress, bytes.count) }
    }

    /// mnl_socket_recvfrom(3): receives one datagram from the kernel into `buffer`; returns its
    /// length. ENOBUFS means the kernel dropped messages for this socket (overrun); ENOSPC
    /// means the datagram did not fit in `buffer` and was cut (MSG_TRUNC).
    public static func netlinkReceive(_ socket: OpaquePointer, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retrying("mnl_socket_recvfrom") { mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count) }
    }

    /// mnl_socket_close(3): closes the socket and frees libmnl's state. Not retried on EINTR.
    public static func netlinkClose(_ socket: OpaquePointer) {
        _ = funnel("mnl_socket_close") { mnl_socket_close(socket) }
    }
}

