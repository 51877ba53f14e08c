// Jansson (JSON for records, plugin replies and store APIs), as Swift sees it.
#ifndef CJANSSON_SHIM_H
#define CJANSSON_SHIM_H
#include <jansson.h>

/// json_decref is a static inline in jansson.h that imports, but json_incref's cousin macros
/// (json_typeof, json_is_*) do not; use this instead of the macro.
static inline json_type cjansson_typeof(const json_t *j) { return json_typeof(j); }
#endif
