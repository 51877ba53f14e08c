// The wrappers of cares.h: each calls c-ares through the table cares_load filled.
#include "cares.h"
#include "cares_functions.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

// c-ares's sockets are made here (ares_set_socket_functions) so that each gets the mark right after
// socket(2), before c-ares connects it: connect picks the source address by a route lookup that
// already sees the mark. With ares_set_socket_callback instead, c-ares 1.18's UDP socket was already
// connected, bound to the tunnel's address, when it got the mark: the query left outside the tunnel
// but its answer came back to an address the NAT cannot reach (seen in tests/e2e/test_full_tunnel.sh).
static ares_socket_t cares_socket(int domain, int type, int protocol, void *data) {
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fd < 0) return ARES_SOCKET_BAD;
    unsigned int mark = (unsigned int)(uintptr_t)data;
    if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return ARES_SOCKET_BAD;
    }
    return fd;
}
static int cares_close(ares_socket_t fd, void *data) {
    (void)data;
    return close(fd);
}
static int cares_connect(ares_socket_t fd, const struct sockaddr *address, ares_socklen_t length, void *data) {
    (void)data;
    return connect(fd, address, length);
}
static ares_ssize_t cares_recvfrom(ares_socket_t fd, void *buffer, size_t length, int flags, struct sockaddr *from,
                                   ares_socklen_t *from_length, void *data) {
    (void)data;
    return recvfrom(fd, buffer, length, flags, from, from_length);
}
static ares_ssize_t cares_sendv(ares_socket_t fd, const struct iovec *vector, int count, void *data) {
    (void)data;
    return writev(fd, vector, count);
}
static const struct ares_socket_functions marked_sockets = {
    cares_socket, cares_close, cares_connect, cares_recvfrom, cares_sendv,
};

int cares_channel_new(ares_channel *channel, unsigned int mark, ares_sock_state_cb state, void *state_data) {
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.sock_state_cb = state;
    options.sock_state_cb_data = state_data;
    // 2 s per try, 2 tries per server: a store request's own timeout (10 s by default) is not
    // spent waiting for one dead name server (c-ares's defaults allow ~20 s and more).
    options.timeout = 2000;
    options.tries = 2;
    int code = cares_table.init_options(channel, &options, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (code != ARES_SUCCESS) return code;
    cares_table.set_socket_functions(*channel, &marked_sockets, (void *)(uintptr_t)mark);
    return ARES_SUCCESS;
}

void cares_channel_free(ares_channel channel) { cares_table.destroy(channel); }

void cares_getaddrinfo(ares_channel channel, const char *name, ares_addrinfo_callback callback, void *arg) {
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    cares_table.getaddrinfo(channel, name, NULL, &hints, callback, arg);
}

void cares_process_fd(ares_channel channel, ares_socket_t read_fd, ares_socket_t write_fd) {
    cares_table.process_fd(channel, read_fd, write_fd);
}

long cares_timeout_ms(ares_channel channel) {
    struct timeval tv;
    struct timeval *next = cares_table.timeout(channel, NULL, &tv);
    if (!next) return -1;
    return (long)next->tv_sec * 1000 + (long)(next->tv_usec + 999) / 1000;
}

void cares_cancel(ares_channel channel) { cares_table.cancel(channel); }

const char *cares_strerror(int code) { return cares_table.strerror(code); }

int cares_has_loopback_server(ares_channel channel) {
    struct ares_addr_port_node *servers = NULL;
    if (cares_table.get_servers_ports(channel, &servers) != ARES_SUCCESS) return 0;
    int loopback = 0;
    for (struct ares_addr_port_node *s = servers; s; s = s->next) {
        if (s->family == AF_INET && (ntohl(s->addr.addr4.s_addr) >> 24) == 127) loopback = 1;
        if (s->family == AF_INET6) {
            static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            if (memcmp(&s->addr.addr6, one, 16) == 0) loopback = 1;
        }
    }
    cares_table.free_data(servers);
    return loopback;
}

// Appends one address (a literal of `family` at `bytes`) to out, with a comma before all but the first.
static int append(char *out, size_t out_size, size_t *used, int family, const void *bytes) {
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, bytes, text, sizeof text)) return 0;
    int n = snprintf(out + *used, out_size - *used, family == AF_INET6 ? "%s[%s]" : "%s%s", *used ? "," : "", text);
    if (n < 0 || (size_t)n >= out_size - *used) return 0;
    *used += (size_t)n;
    return 1;
}

int cares_addresses(const struct ares_addrinfo *info, char *out, size_t out_size, int max, int *ttl) {
    size_t used = 0;
    int count = 0;
    *ttl = -1;
    if (out_size > 0) out[0] = 0;
    if (!info || out_size == 0) return 0;
    // IPv4 first: libcurl tries the list's addresses in its order (and races the other family).
    for (int pass = 0; pass < 2; pass++) {
        for (const struct ares_addrinfo_node *node = info->nodes; node && count < max; node = node->ai_next) {
            if (!node->ai_addr) continue;
            int ok = 0;
            if (pass == 0 && node->ai_family == AF_INET && node->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in)) {
                ok = append(out, out_size, &used, AF_INET, &((const struct sockaddr_in *)node->ai_addr)->sin_addr);
            } else if (pass == 1 && node->ai_family == AF_INET6 &&
                       node->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in6)) {
                ok = append(out, out_size, &used, AF_INET6, &((const struct sockaddr_in6 *)node->ai_addr)->sin6_addr);
            }
            if (ok) {
                count++;
                if (*ttl < 0 || node->ai_ttl < *ttl) *ttl = node->ai_ttl;
            }
        }
    }
    return count;
}

void cares_freeaddrinfo(struct ares_addrinfo *info) { cares_table.freeaddrinfo(info); }
