/* gb_invocation: the Functions host's invocation envelope, both ways.
 *
 * In:  {"Data":{"<binding>":<value>,...},"Metadata":{...}}
 * Out: {"Outputs":{...},"Logs":["..."],"ReturnValue":<value>}
 * The host JSON-encodes string and number values a second time; objects
 * arrive as objects (contracts/functions-host.md §3.2). */
#ifndef GB_INVOCATION_H
#define GB_INVOCATION_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "gb_error.h"

#define GB_INVOCATION_ID_MAX 64

struct gb_invocation {
  cJSON *root;                       /* the parsed body, owned */
  const cJSON *data;                 /* root.Data, an object */
  const cJSON *metadata;             /* root.Metadata, an object, or NULL */
  cJSON *logs;                       /* the Logs array being built, owned */
  char id[GB_INVOCATION_ID_MAX + 1]; /* X-Azure-Functions-InvocationId */
};

/* id as it may appear in a log line: the header value when it is a
 * plausible id (letters, digits, '-', '_', '.', at most
 * GB_INVOCATION_ID_MAX), else "-". */
const char *gb_invocation_id_loggable(const char *id);

/* Parses an envelope body. invocation_id is the header value (may be NULL);
 * it is kept only if it is a plausible id, else "-". On failure returns
 * false with err filled (GB_ERR_INVALID naming the field); call
 * gb_invocation_cleanup in every case. */
bool gb_invocation_parse(struct gb_invocation *inv, const char *body,
                         size_t len, const char *invocation_id,
                         struct gb_error *err);

/* The value of input binding `name` in Data, unwrapped from the host's
 * string encoding (at most twice). If it had to be parsed, the new tree is
 * returned in *owned for the caller to cJSON_Delete. NULL with err filled
 * when the binding is missing or does not parse. */
const cJSON *gb_invocation_binding(const struct gb_invocation *inv,
                                   const char *name, cJSON **owned,
                                   struct gb_error *err);

/* Appends one line to the invocation's Logs (control characters are
 * replaced). The host logs each line at Information for this invocation. */
void gb_invocation_log(struct gb_invocation *inv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Builds the reply object: Outputs (taken over, may be NULL for {}), the
 * Logs collected so far (moved out of inv) and ReturnValue (taken over, may
 * be NULL for null). NULL on allocation failure. */
cJSON *gb_invocation_reply(struct gb_invocation *inv, cJSON *outputs,
                           cJSON *return_value);

void gb_invocation_cleanup(struct gb_invocation *inv);

#endif
