// ccurl_load and ccurl_open: dlopen libcurl and dlsym every function of curl_functions.h.
#include "ccurl.h"
#include "curl_functions.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct curl_functions ccurl_table;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int is_loaded;

static void set_error(char *error, size_t error_size, const char *text) {
    if (error_size > 0) snprintf(error, error_size, "%s", text ? text : "unknown error");
}

// Opens `library` and fills *table; on failure closes it again and says why.
static ccurl_status resolve(const char *library, struct curl_functions *table, const char **symbol,
                            char *error, size_t error_size) {
    *symbol = NULL;
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        set_error(error, error_size, dlerror());
        return CCURL_NO_LIBRARY;
    }
#define CCURL_RESOLVE(name)                                                                         \
    dlerror();                                                                                      \
    table->name = (__typeof__(table->name))dlsym(handle, "curl_" #name);                            \
    if (!table->name) {                                                                             \
        *symbol = "curl_" #name;                                                                    \
        set_error(error, error_size, dlerror());                                                    \
        dlclose(handle);                                                                            \
        return CCURL_NO_SYMBOL;                                                                     \
    }
    CCURL_FUNCTIONS(CCURL_RESOLVE)
#undef CCURL_RESOLVE
    return CCURL_LOADED;
}

ccurl_status ccurl_load(const char **symbol, char *error, size_t error_size) {
    ccurl_status status = CCURL_WAS_LOADED;
    *symbol = NULL;
    pthread_mutex_lock(&load_lock);
    if (!is_loaded) {
        struct curl_functions table;
        status = resolve(CCURL_LIBRARY, &table, symbol, error, error_size);
        if (status == CCURL_LOADED) {
            // Exactly once, before any handle exists: is_loaded is set only after it succeeded.
            CURLcode code = table.global_init(CURL_GLOBAL_DEFAULT);
            if (code == CURLE_OK) {
                ccurl_table = table;
                is_loaded = 1;
            } else {
                if (error_size > 0) snprintf(error, error_size, "curl_global_init: %s", table.easy_strerror(code));
                status = CCURL_INIT_FAILED;
            }
        }
    }
    pthread_mutex_unlock(&load_lock);
    return status;
}

ccurl_status ccurl_open(const char *library, const char **symbol, char *error, size_t error_size) {
    struct curl_functions scratch;
    return resolve(library, &scratch, symbol, error, error_size);
}
