/* gb_sas: Event Grid shared access signatures for a topic.
 *
 *   unsigned = "r=" + urlencode(resource) + "&e=" + urlencode(expiry)
 *   token    = unsigned + "&s=" + urlencode(base64(HMAC-SHA256(
 *                base64decode(topic key), unsigned)))
 * with the expiry in .NET's en-US form "M/d/yyyy h:mm:ss AM|PM" (UTC), as
 * the Event Grid documentation and SDKs compute it
 * (contracts/eventgrid.md §1.3). */
#ifndef GB_SAS_H
#define GB_SAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_error.h"

#define GB_SAS_TOKEN_MAX 1024

/* Percent-encodes everything but RFC 3986's unreserved characters, with
 * upper-case hex. Returns false when out (capacity cap) is too small. */
bool gb_url_encode(const char *in, char *out, size_t cap);

/* "6/15/2017 6:20:15 PM" for the UTC instant ms. */
void gb_sas_format_expiry(int64_t ms, char out[32]);

/* Signs a token for resource (the topic's https://…/api/events URL) valid
 * until expiry_ms. key_b64 is the topic access key. On failure (a key that
 * is not base64) fills err naming EVENT_GRID_TOPIC_KEY, never quoting it. */
bool gb_sas_token(const char *resource, const char *key_b64,
                  int64_t expiry_ms, char *out, size_t cap,
                  struct gb_error *err);

#endif
