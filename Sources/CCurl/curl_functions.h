// The libcurl functions this package calls, as pointers typed from curl.h's own prototypes (so a
// wrong argument is a compile error, as with a linked libcurl), filled by ccurl_load.
#ifndef CCURL_CURL_FUNCTIONS_H
#define CCURL_CURL_FUNCTIONS_H
#include <curl/curl.h>

// Every function, by its name without "curl_": the table's fields and the symbols looked up.
#define CCURL_FUNCTIONS(X)                                                                          \
    X(global_init)                                                                                  \
    X(multi_init) X(multi_cleanup) X(multi_add_handle) X(multi_remove_handle)                      \
    X(multi_socket_action) X(multi_info_read) X(multi_strerror) X(multi_setopt)                    \
    X(easy_init) X(easy_cleanup) X(easy_strerror) X(easy_setopt) X(easy_getinfo)                   \
    X(slist_append) X(slist_free_all)

struct curl_functions {
#define CCURL_FIELD(name) __typeof__(curl_##name) *name;
    CCURL_FUNCTIONS(CCURL_FIELD)
#undef CCURL_FIELD
};

// The loaded libcurl's functions; all NULL until ccurl_load succeeds.
extern struct curl_functions ccurl_table __attribute__((visibility("hidden")));
#endif
