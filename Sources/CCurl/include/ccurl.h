// libcurl, as Swift sees it, without linking it. <curl/curl.h> gives the types, constants and
// prototypes; the functions themselves are looked up with dlsym in libcurl.so.4 the first time an
// HTTP store needs them (ccurl_load), so a daemon with only file or plugin stores never maps libcurl
// and the two dozen libraries it pulls in. Swift calls libcurl only through the ccurl_* functions
// below; the variadic curl_easy_setopt / curl_multi_setopt / curl_easy_getinfo get one typed wrapper
// per argument type.
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>
#include <stddef.h>

/// The library ccurl_load opens: libcurl4's soname.
#define CCURL_LIBRARY "libcurl.so.4"

/// How loading libcurl ended.
typedef enum {
    CCURL_LOADED = 0,   // every function found (ccurl_load: and curl_global_init done)
    CCURL_WAS_LOADED,   // ccurl_load: an earlier call loaded it; nothing done
    CCURL_NO_LIBRARY,   // dlopen failed
    CCURL_NO_SYMBOL,    // the library lacks a function (*symbol names it)
    CCURL_INIT_FAILED,  // curl_global_init failed
} ccurl_status;

/// Once per process: opens CCURL_LIBRARY, resolves every libcurl function the wrappers call and
/// runs curl_global_init; later calls return CCURL_WAS_LOADED at once. Thread-safe. On failure nothing
/// is installed (a later call tries again), *symbol names the missing function (else NULL) and
/// `error` gets dlerror()'s or libcurl's text. Call it before any other ccurl_* function.
ccurl_status ccurl_load(const char **symbol, char *error, size_t error_size);

/// What ccurl_load does first, for any `library`, into a scratch table that is never used: tests
/// check the errors with libraries that are missing or are not libcurl. A library that has every
/// function stays mapped.
ccurl_status ccurl_open(const char *library, const char **symbol, char *error, size_t error_size);

// The wrappers: each calls the libcurl function of the same name (without the c) through the
// table ccurl_load filled.
CURLM *ccurl_multi_init(void);
CURLMcode ccurl_multi_cleanup(CURLM *m);
CURLMcode ccurl_multi_add_handle(CURLM *m, CURL *h);
CURLMcode ccurl_multi_remove_handle(CURLM *m, CURL *h);
CURLMcode ccurl_multi_socket_action(CURLM *m, curl_socket_t s, int ev_bitmask, int *running_handles);
CURLMsg *ccurl_multi_info_read(CURLM *m, int *msgs_in_queue);
const char *ccurl_multi_strerror(CURLMcode code);
/// curl_multi_setopt with a pointer argument (CURLMOPT_SOCKETDATA, CURLMOPT_TIMERDATA).
CURLMcode ccurl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v);
/// CURLMOPT_SOCKETFUNCTION: libcurl asks the event loop to watch a socket.
CURLMcode ccurl_multi_setopt_socketfunction(CURLM *m, curl_socket_callback f);
/// CURLMOPT_TIMERFUNCTION: libcurl asks the event loop for a timeout.
CURLMcode ccurl_multi_setopt_timerfunction(CURLM *m, curl_multi_timer_callback f);

CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *h);
const char *ccurl_easy_strerror(CURLcode code);
/// curl_easy_setopt with a long argument.
CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v);
/// curl_easy_setopt with a string argument (copied by libcurl).
CURLcode ccurl_easy_setopt_string(CURL *h, CURLoption o, const char *v);
/// curl_easy_setopt with a pointer argument (user data, slists, buffers).
CURLcode ccurl_easy_setopt_pointer(CURL *h, CURLoption o, void *v);
/// curl_easy_setopt with a curl_off_t argument (CURLOPT_POSTFIELDSIZE_LARGE, CURLOPT_MAXFILESIZE_LARGE).
CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v);
/// CURLOPT_WRITEFUNCTION: libcurl hands over response body bytes.
CURLcode ccurl_easy_setopt_write(CURL *h, curl_write_callback f);
/// CURLOPT_HEADERFUNCTION: libcurl hands over each response header line.
CURLcode ccurl_easy_setopt_header(CURL *h, curl_write_callback f);
/// CURLOPT_SOCKOPTFUNCTION + CURLOPT_SOCKOPTDATA: every socket the transfer opens gets SO_MARK
/// `mark` before it connects (WireGuard's fwmark, so that a full-tunnel routing policy sends the
/// store's traffic outside the tunnel, as WireGuard's own). A mark of 0 sets nothing. A socket the
/// mark cannot be set on fails the transfer (CURLE_COULDNT_CONNECT), so that the request does not
/// silently go into a tunnel that may be down.
CURLcode ccurl_easy_setopt_mark(CURL *h, unsigned int mark);
/// curl_easy_getinfo for a long value (CURLINFO_RESPONSE_CODE).
CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v);
/// curl_easy_getinfo for a pointer value (CURLINFO_PRIVATE).
CURLcode ccurl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v);

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *line);
void ccurl_slist_free_all(struct curl_slist *list);
#endif
