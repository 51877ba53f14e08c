// libev, as Swift sees it. Debian's libev-dev ships no pkg-config file, so the module map links
// `ev` itself. libev's watcher set-up is macros; these static inline functions make them callable.
#ifndef CLIBEV_SHIM_H
#define CLIBEV_SHIM_H
#include <ev.h>

/// ev_io_init: prepares an io watcher for `fd` and the `events` mask (EV_READ / EV_WRITE).
static inline void clibev_io_init(ev_io *w, void (*cb)(struct ev_loop *, ev_io *, int), int fd, int events) {
    ev_io_init(w, cb, fd, events);
}
/// ev_io_set: changes the fd and mask of a stopped io watcher.
static inline void clibev_io_set(ev_io *w, int fd, int events) { ev_io_set(w, fd, events); }
/// ev_timer_init: prepares a timer that fires after `after` seconds, then every `repeat` seconds.
static inline void clibev_timer_init(ev_timer *w, void (*cb)(struct ev_loop *, ev_timer *, int), double after, double repeat) {
    ev_timer_init(w, cb, after, repeat);
}
/// ev_timer_set: changes the timeout of a stopped timer.
static inline void clibev_timer_set(ev_timer *w, double after, double repeat) { ev_timer_set(w, after, repeat); }
/// ev_signal_init: prepares a watcher for signal `signum`.
static inline void clibev_signal_init(ev_signal *w, void (*cb)(struct ev_loop *, ev_signal *, int), int signum) {
    ev_signal_init(w, cb, signum);
}
/// ev_set_priority: a stopped watcher's priority (EV_MINPRI..EV_MAXPRI; 0 by default).
static inline void clibev_set_priority(void *w, int priority) { ev_set_priority((ev_watcher *)w, priority); }
/// ev_is_active: whether the watcher is started.
static inline int clibev_is_active(const void *w) { return ev_is_active((const ev_watcher *)w); }
#endif
