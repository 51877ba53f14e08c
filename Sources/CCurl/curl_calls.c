#include <stdint.h>
#include <sys/socket.h>
// The ccurl_* wrappers: each calls its libcurl function through the table ccurl_load filled. The
// variadic ones pass exactly one argument of the type their name says, through the variadic pointer.
#include "ccurl.h"
#include "curl_functions.h"

CURLM *ccurl_multi_init(void) { return ccurl_table.multi_init(); }
CURLMcode ccurl_multi_cleanup(CURLM *m) { return ccurl_table.multi_cleanup(m); }
CURLMcode ccurl_multi_add_handle(CURLM *m, CURL *h) { return ccurl_table.multi_add_handle(m, h); }
CURLMcode ccurl_multi_remove_handle(CURLM *m, CURL *h) { return ccurl_table.multi_remove_handle(m, h); }
CURLMcode ccurl_multi_socket_action(CURLM *m, curl_socket_t s, int ev_bitmask, int *running_handles) {
    return ccurl_table.multi_socket_action(m, s, ev_bitmask, running_handles);
}
CURLMsg *ccurl_multi_info_read(CURLM *m, int *msgs_in_queue) { return ccurl_table.multi_info_read(m, msgs_in_queue); }
const char *ccurl_multi_strerror(CURLMcode code) { return ccurl_table.multi_strerror(code); }
CURLMcode ccurl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return ccurl_table.multi_setopt(m, o, v); }
CURLMcode ccurl_multi_setopt_socketfunction(CURLM *m, curl_socket_callback f) {
    return ccurl_table.multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
CURLMcode ccurl_multi_setopt_timerfunction(CURLM *m, curl_multi_timer_callback f) {
    return ccurl_table.multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}

CURL *ccurl_easy_init(void) { return ccurl_table.easy_init(); }
void ccurl_easy_cleanup(CURL *h) { ccurl_table.easy_cleanup(h); }
const char *ccurl_easy_strerror(CURLcode code) { return ccurl_table.easy_strerror(code); }
CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return ccurl_table.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return ccurl_table.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return ccurl_table.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return ccurl_table.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_write(CURL *h, curl_write_callback f) {
    return ccurl_table.easy_setopt(h, CURLOPT_WRITEFUNCTION, f);
}
CURLcode ccurl_easy_setopt_header(CURL *h, curl_write_callback f) {
    return ccurl_table.easy_setopt(h, CURLOPT_HEADERFUNCTION, f);
}
static int ccurl_sockopt_mark(void *clientp, curl_socket_t fd, curlsocktype purpose) {
    (void)purpose;
    unsigned int mark = (unsigned int)(uintptr_t)clientp;
    if (mark == 0) return CURL_SOCKOPT_OK;
    return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) == 0 ? CURL_SOCKOPT_OK : CURL_SOCKOPT_ERROR;
}
CURLcode ccurl_easy_setopt_mark(CURL *h, unsigned int mark) {
    CURLcode code = ccurl_table.easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, ccurl_sockopt_mark);
    if (code != CURLE_OK) return code;
    return ccurl_table.easy_setopt(h, CURLOPT_SOCKOPTDATA, (void *)(uintptr_t)mark);
}
CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return ccurl_table.easy_getinfo(h, i, v); }
CURLcode ccurl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return ccurl_table.easy_getinfo(h, i, v); }

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *line) {
    return ccurl_table.slist_append(list, line);
}
void ccurl_slist_free_all(struct curl_slist *list) { ccurl_table.slist_free_all(list); }
