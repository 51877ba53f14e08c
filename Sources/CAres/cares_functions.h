// The c-ares functions this package calls, as pointers typed from ares.h's own prototypes (so a
// wrong argument is a compile error, as with a linked library), filled by cares_load.
#ifndef CARES_FUNCTIONS_H
#define CARES_FUNCTIONS_H
#include <ares.h>

// Every function, by its name without "ares_": the table's fields and the symbols looked up.
#define CARES_FUNCTIONS(X)                                                                          \
    X(library_init) X(init_options) X(destroy) X(set_socket_functions) X(getaddrinfo)                \
    X(freeaddrinfo) X(process_fd) X(timeout) X(cancel) X(strerror) X(get_servers_ports) X(free_data)

struct cares_functions {
#define CARES_FIELD(name) __typeof__(ares_##name) *name;
    CARES_FUNCTIONS(CARES_FIELD)
#undef CARES_FIELD
};

// The loaded library's functions; all NULL until cares_load succeeds.
extern struct cares_functions cares_table __attribute__((visibility("hidden")));
#endif
