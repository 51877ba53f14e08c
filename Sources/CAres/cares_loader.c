// cares_load and cares_open: dlopen c-ares and dlsym every function of cares_functions.h.
#include "cares.h"
#include "cares_functions.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct cares_functions cares_table;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int is_loaded;

static void set_error(char *error, size_t error_size, const char *text) {
    if (error_size > 0) snprintf(error, error_size, "%s", text ? text : "unknown error");
}

// Opens `library` and fills *table; on failure closes it again and says why.
static cares_status resolve(const char *library, struct cares_functions *table, const char **symbol,
                            char *error, size_t error_size) {
    *symbol = NULL;
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        set_error(error, error_size, dlerror());
        return CARES_NO_LIBRARY;
    }
#define CARES_RESOLVE(name)                                                                         \
    dlerror();                                                                                      \
    table->name = (__typeof__(table->name))dlsym(handle, "ares_" #name);                            \
    if (!table->name) {                                                                             \
        *symbol = "ares_" #name;                                                                    \
        set_error(error, error_size, dlerror());                                                    \
        dlclose(handle);                                                                            \
        return CARES_NO_SYMBOL;                                                                     \
    }
    CARES_FUNCTIONS(CARES_RESOLVE)
#undef CARES_RESOLVE
    return CARES_LOADED;
}

cares_status cares_load(const char **symbol, char *error, size_t error_size) {
    cares_status status = CARES_WAS_LOADED;
    *symbol = NULL;
    pthread_mutex_lock(&load_lock);
    if (!is_loaded) {
        struct cares_functions table;
        status = resolve(CARES_LIBRARY, &table, symbol, error, error_size);
        if (status == CARES_LOADED) {
            int code = table.library_init(ARES_LIB_INIT_ALL);
            if (code == ARES_SUCCESS) {
                cares_table = table;
                is_loaded = 1;
            } else {
                if (error_size > 0) snprintf(error, error_size, "ares_library_init: %s", table.strerror(code));
                status = CARES_INIT_FAILED;
            }
        }
    }
    pthread_mutex_unlock(&load_lock);
    return status;
}

cares_status cares_open(const char *library, const char **symbol, char *error, size_t error_size) {
    struct cares_functions scratch;
    return resolve(library, &scratch, symbol, error, error_size);
}
