import CLinuxNet
import Glibc

// Syscalls around the HTTP stores: their tests run real OpenDHT nodes in a network namespace of
// their own and reach them from a thread moved into it.

extension Sys {
    /// CLONE_NEWNET, which Glibc's module does not export (it is a _GNU_SOURCE name).
    static let cloneNewNet: Int32 = 0x4000_0000

    /// setns(2) with CLONE_NEWNET: moves the calling thread (only it; namespaces are per
    /// thread) into the network namespace `fd` refers to (a /var/run/netns/<name> or
    /// /proc/…/ns/net descriptor). Sockets the thread creates afterwards live there.
    public static func setNetworkNamespace(_ fd: Int32) throws(Errno) {
        _ = try retrying("setns") { clinuxnet_setns(fd, cloneNewNet) }
    }
}
