// Linux networking headers Glibc's module does not export: classic BPF socket filters, raw IP
// and UDP headers, packet info, pidfd.
#ifndef CLINUXNET_SHIM_H
#define CLINUXNET_SHIM_H
#include <fcntl.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <linux/filter.h>
#include <net/if.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <malloc.h>
#include <netpacket/packet.h>

/// pidfd_open(2): a file descriptor that becomes readable when the child exits, so an event
/// loop that is not libev's default loop can wait for children without reaping them all.
static inline int clinuxnet_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/// inotify_init1(2), non-blocking and close-on-exec; inotify_add_watch(2). The event mask bits
/// the file store watches a directory for: a file written and closed, or renamed into it (an
/// atomic replace), or the directory itself going away.
static inline int clinuxnet_inotify_init(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }
static inline int clinuxnet_inotify_add_watch(int fd, const char *path) {
    return inotify_add_watch(fd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF);
}

/// A packet socket's address for every protocol (ETH_P_ALL) on interface `ifindex`
/// (`TunnelTap`). ETH_P_ALL comes from <linux/if_ether.h>, which clashes with glibc's headers.
static inline struct sockaddr_ll clinuxnet_packet_address(int ifindex) {
    struct sockaddr_ll address = {0};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(0x0003);
    address.sll_ifindex = ifindex;
    return address;
}

/// stat(2), whose name Swift resolves to the struct.
static inline int clinuxnet_stat(const char *path, struct stat *st) { return stat(path, st); }

/// pipe2(2) with O_CLOEXEC. glibc declares pipe2 only under _GNU_SOURCE, which would make
/// this module disagree with Glibc's about other types (fd_set), so it is declared here.
extern int pipe2(int pipefd[2], int flags);
static inline int clinuxnet_pipe2(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/// The socket types. glibc declares them in an enum in <bits/socket_type.h>, which several C
/// modules include; which module Swift credits it to varies between builds, so Swift code takes
/// them from here.
static inline int clinuxnet_sock_stream(void) { return SOCK_STREAM; }
static inline int clinuxnet_sock_dgram(void) { return SOCK_DGRAM; }
static inline int clinuxnet_sock_raw(void) { return SOCK_RAW; }

/// setns(2): moves the calling thread into the namespace `fd` refers to. glibc declares setns
/// only under _GNU_SOURCE (see pipe2 above), so it is called through syscall(2) here.
static inline int clinuxnet_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }
#endif
