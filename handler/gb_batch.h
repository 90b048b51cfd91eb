/* gb_batch: splitting events into publish requests that Event Grid accepts.
 *
 * A request body is a JSON array "[e1,e2,…]"; Event Grid takes at most
 * 1 MB and 5,000 events per request (contracts/eventgrid.md §3.1). Pure. */
#ifndef GB_BATCH_H
#define GB_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "gb_error.h"

#define GB_BATCH_MAX_BYTES 1048576
#define GB_BATCH_MAX_EVENTS 5000

struct gb_batch {
  size_t first; /* index of the first event */
  size_t count; /* events in this request */
  size_t bytes; /* length of the array body */
};

/* Groups events of lengths lens[0..n) in order into as few requests as
 * fit max_bytes and max_events each, writing up to cap of them to out and
 * their number to *batches. Fails (GB_ERR_TOO_LARGE) when one event alone
 * exceeds max_bytes, or (GB_ERR_INTERNAL) when cap is too small. */
bool gb_batch_split(const size_t *lens, size_t n, size_t max_bytes,
                    size_t max_events, struct gb_batch *out, size_t cap,
                    size_t *batches, struct gb_error *err);

/* The body of batch: its events' texts joined as "[e1,e2,…]",
 * NUL-terminated (batch->bytes long), or NULL when out of memory. */
char *gb_batch_body(const struct gb_batch *batch, char *const *texts,
                    const size_t *lens);

#endif
