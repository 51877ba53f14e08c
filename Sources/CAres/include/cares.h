// c-ares, as Swift sees it, without linking it: resolving the HTTP stores' host names on sockets
// that carry WireGuard's fwmark (glibc's resolver and libcurl's threaded resolver cannot mark
// theirs, so in a full tunnel their queries would go into the tunnel). <ares.h> gives the types;
// the functions are looked up with dlsym in libcares.so.2 the first time a marked request needs a
// name (cares_load), so a daemon without a mark, or with only file or plugin stores, never maps it.
// Swift calls c-ares only through the cares_* functions below.
#ifndef CARES_SHIM_H
#define CARES_SHIM_H
#include <ares.h>
#include <stddef.h>

/// The library cares_load opens: libc-ares2's soname.
#define CARES_LIBRARY "libcares.so.2"

/// How loading c-ares ended.
typedef enum {
    CARES_LOADED = 0,   // every function found and ares_library_init done
    CARES_WAS_LOADED,   // an earlier call loaded it; nothing done
    CARES_NO_LIBRARY,   // dlopen failed
    CARES_NO_SYMBOL,    // the library lacks a function (*symbol names it)
    CARES_INIT_FAILED,  // ares_library_init failed
} cares_status;

/// Once per process: opens CARES_LIBRARY, resolves every function the wrappers call and runs
/// ares_library_init; later calls return CARES_WAS_LOADED at once. Thread-safe. On failure nothing is
/// kept (a later call tries again), *symbol names a missing function (else NULL) and `error` gets
/// dlerror()'s or c-ares's text. Call it before any other cares_* function.
cares_status cares_load(const char **symbol, char *error, size_t error_size);

/// What cares_load does first, for any `library`, into a scratch table that is never used (tests).
cares_status cares_open(const char *library, const char **symbol, char *error, size_t error_size);

/// A channel that reads /etc/resolv.conf (and /etc/hosts) as c-ares does, tells `state` which
/// sockets to watch, and gives every socket it opens SO_MARK `mark` before it connects (0: none). A
/// socket the mark cannot be set on is refused (its query fails) rather than sent unmarked. Each
/// server is tried twice, 2 s each.
/// Returns ARES_SUCCESS and *channel, or an ares error code.
int cares_channel_new(ares_channel *channel, unsigned int mark, ares_sock_state_cb state, void *state_data);
void cares_channel_free(ares_channel channel);
/// ares_getaddrinfo for `name`, any family, no service (the caller knows its port).
void cares_getaddrinfo(ares_channel channel, const char *name, ares_addrinfo_callback callback, void *arg);
void cares_process_fd(ares_channel channel, ares_socket_t read_fd, ares_socket_t write_fd);
/// Milliseconds until c-ares wants cares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); -1
/// when it waits for nothing.
long cares_timeout_ms(ares_channel channel);
void cares_cancel(ares_channel channel);
const char *cares_strerror(int code);
/// 1 when some name server of the channel is a loopback address (a local stub such as
/// systemd-resolved's 127.0.0.53, which forwards the query again without the mark), else 0.
int cares_has_loopback_server(ares_channel channel);
/// The addresses of `info` as libcurl's CURLOPT_RESOLVE lists them ("a,b,[v6]"), IPv4 first, at
/// most `max` of them, into `out`; *ttl gets the smallest TTL (seconds, -1 when none is given).
/// Returns how many were written.
int cares_addresses(const struct ares_addrinfo *info, char *out, size_t out_size, int max, int *ttl);
void cares_freeaddrinfo(struct ares_addrinfo *info);
#endif
