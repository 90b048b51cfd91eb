/* gb_dynbuf: a growable array of fixed-size elements with a hard maximum.
 *
 * After curl's dynbuf (docs/internals/DYNBUF.md there): the maximum is set
 * when the array is made, every growth is checked against it, and going
 * past it is an ordinary error, told apart from running out of memory.
 * Unlike curl's, a failed call leaves the array as it was, so the caller
 * still owns what it added before.
 *
 * The fields may be read (items holds count elements of elem_size bytes);
 * only these functions change them. Not thread-safe: one owner at a
 * time. */
#ifndef GB_DYNBUF_H
#define GB_DYNBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "gb_error.h"

struct gb_dynbuf {
  void *items; /* owned; NULL until the first growth */
  size_t count;
  size_t cap; /* elements allocated */
  size_t max; /* count never exceeds it */
  size_t elem_size;
};

/* An empty array of elements of elem_size bytes, holding at most max of
 * them. Allocates nothing, so it cannot fail. */
void gb_dynbuf_init(struct gb_dynbuf *a, size_t elem_size, size_t max);

/* Appends n (at least 1) zeroed elements and returns the first of them,
 * valid until the next growth. NULL with err filled: GB_ERR_TOO_LARGE when
 * count would exceed max, GB_ERR_NOMEM when the room
 * cannot be allocated, GB_ERR_INTERNAL for n == 0 or elem_size == 0. */
void *gb_dynbuf_grow(struct gb_dynbuf *a, size_t n, struct gb_error *err);

/* Appends a copy of the elem_size bytes at elem; fails as gb_dynbuf_grow
 * does. */
bool gb_dynbuf_push(struct gb_dynbuf *a, const void *elem,
                    struct gb_error *err);

/* Element i, or NULL when i >= count; valid until the next growth. */
void *gb_dynbuf_at(const struct gb_dynbuf *a, size_t i);

/* Drops the elements from count on (no-op when count >= a->count); the
 * allocation stays. */
void gb_dynbuf_truncate(struct gb_dynbuf *a, size_t count);

/* Empties the array and keeps its allocation for reuse. */
void gb_dynbuf_reset(struct gb_dynbuf *a);

/* Frees the elements; the array is then empty, with the same element size
 * and maximum, ready for reuse. Safe on an array already freed. */
void gb_dynbuf_free(struct gb_dynbuf *a);

/* Hands the elements to the caller, who frees them with free(); *count
 * (if not NULL) gets their number. The array is left empty, as after
 * gb_dynbuf_free. NULL when nothing was ever allocated. */
void *gb_dynbuf_take(struct gb_dynbuf *a, size_t *count);

#endif
