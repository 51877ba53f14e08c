// libcurl, as Swift sees it. curl_easy_setopt / curl_multi_setopt are variadic: one typed wrapper
// per argument type.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
#include <curl/curl.h>

/// curl_easy_setopt with a long argument.
static inline CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
/// curl_easy_setopt with a string argument (copied by libcurl).
static inline CURLcode ccurl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
/// curl_easy_setopt with a pointer argument (user data, slists).
static inline CURLcode ccurl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
/// CURLOPT_WRITEFUNCTION.
static inline CURLcode ccurl_easy_setopt_write(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f);
}
/// curl_easy_getinfo for a long value (CURLINFO_RESPONSE_CODE).
static inline CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
/// curl_easy_getinfo for a pointer value (CURLINFO_PRIVATE).
static inline CURLcode ccurl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
/// curl_multi_setopt with a long argument.
static inline CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
/// curl_multi_setopt with a pointer argument.
static inline CURLMcode ccurl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
/// CURLMOPT_SOCKETFUNCTION: libcurl asks the event loop to watch a socket.
static inline CURLMcode ccurl_multi_setopt_socketfunction(CURLM *m, int (*f)(CURL *, curl_socket_t, int, void *, void *)) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
/// CURLMOPT_TIMERFUNCTION: libcurl asks the event loop for a timeout.
static inline CURLMcode ccurl_multi_setopt_timerfunction(CURLM *m, int (*f)(CURLM *, long, void *)) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}
/// curl_easy_setopt with a curl_off_t argument (CURLOPT_POSTFIELDSIZE_LARGE, CURLOPT_MAXFILESIZE_LARGE).
static inline CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
/// CURLOPT_HEADERFUNCTION: libcurl hands over each response header line.
static inline CURLcode ccurl_easy_setopt_header(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f);
}
/// curl_global_init(CURL_GLOBAL_DEFAULT): the flags are a macro expression Swift does not import.
static inline CURLcode ccurl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
#endif
