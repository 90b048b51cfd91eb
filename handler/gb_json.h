/* gb_json: parsing untrusted JSON into cJSON trees, with limits.
 *
 * cJSON alone accepts things gridboard must refuse: it silently cuts a
 * string at an escaped NUL (\u0000), passes invalid UTF-8 through, and
 * nests up to 1000 levels deep. gb_json_parse checks all of that first, and
 * never uses cJSON_GetErrorPtr (a global, unsafe across threads). */
#ifndef GB_JSON_H
#define GB_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "gb_error.h"

#define GB_JSON_MAX_DEPTH 64

/* Parses exactly one JSON value from text[0..len) (trailing white space
 * allowed). On failure returns NULL and fills err with GB_ERR_INVALID naming
 * `what` as the field. The caller frees the result with cJSON_Delete. */
cJSON *gb_json_parse(const char *text, size_t len, const char *what,
                     struct gb_error *err);

/* Undoes the Functions host's habit of JSON-encoding values as strings: if
 * value is a string, parses it, up to max_levels times, until the result is
 * not a string. Returns the unwrapped value, which is either value itself
 * (*owned = NULL) or lives in a new tree stored in *owned for the caller to
 * cJSON_Delete. Returns NULL with err filled when a string does not parse. */
const cJSON *gb_json_unwrap(const cJSON *value, int max_levels,
                            const char *what, cJSON **owned,
                            struct gb_error *err);

/* cJSON_PrintUnformatted, or NULL. Free with cJSON_free. */
char *gb_json_print(const cJSON *value);

/* err as the body every error reply carries:
 * {"error":{"code":"<kind>","field":"<field>","message":"...",
 *           "retryable":bool}}; NULL when out of memory. */
cJSON *gb_json_error_body(const struct gb_error *err);

#endif
