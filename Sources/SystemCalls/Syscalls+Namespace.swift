import CLinuxNet
import Glibc

// setns(2), so that a thread can make sockets in another network namespace. Kept apart from
// Syscalls+Netlink.swift: a file that imports both CLinuxNet and CLibMNL and uses socket
// constants can hide them from files that import only Glibc (see CLibMNL/shim.h).

extension Sys {
    /// setns(2) with CLONE_NEWNET: moves the calling thread (not the process) into the network
    /// namespace `fd` refers to (a /var/run/netns/<name> or /proc/…/ns/net file), so that
    /// sockets it makes next live there; tests use it to watch a namespace they created.
    public static func setNetworkNamespace(_ fd: Int32) throws(Errno) {
        _ = try retrying("setns") { clinuxnet_setns_net(fd) }
    }
}
