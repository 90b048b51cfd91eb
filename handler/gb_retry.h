/* gb_retry: when and how long to wait before publishing again.
 *
 * Event Grid's answer decides: 408, 429 and 5xx (and transport errors) are
 * worth another try, 400, 401, 403, 404 and 413 never are
 * (contracts/eventgrid.md §3.2). Waits grow exponentially with full jitter,
 * capped. Pure. */
#ifndef GB_RETRY_H
#define GB_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* True when a publish answered with status may succeed if sent again. */
bool gb_retry_status_retryable(long status);

/* The wait before retry number attempt (0 for the first retry): a
 * uniformly random value in [0, min(cap_ms, base_ms * 2^attempt)], drawn
 * from random. */
long gb_retry_backoff_ms(int attempt, long base_ms, long cap_ms,
                         uint32_t random);

/* A Retry-After header's delay (delta-seconds only, at most an hour) in
 * *ms; false for any other value (an HTTP date too). */
bool gb_retry_after_header_ms(const char *value, long *ms);

#endif
