#include "gb_dynbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Elements of the first allocation: a few small lists never grow again,
 * and doubling from here reaches any maximum in few reallocations. */
#define FIRST_CAP 16

void gb_dynbuf_init(struct gb_dynbuf *a, size_t elem_size, size_t max)
{
  a->items = NULL;
  a->count = 0;
  a->cap = 0;
  a->max = max;
  a->elem_size = elem_size;
}

static bool out_of_memory(struct gb_error *err)
{
  return gb_error_nomem(err);
}

/* Room for need elements in all, need <= max. */
static bool reserve(struct gb_dynbuf *a, size_t need, struct gb_error *err)
{
  size_t cap = a->cap ? a->cap : FIRST_CAP;
  void *grown;

  if (need <= a->cap)
    return true;
  /* Doubling that would pass max stops at max: the list never needs
   * more, and a large max costs nothing until it is used. */
  while (cap < need)
    cap = cap > a->max / 2 ? a->max : 2 * cap;
  if (cap > a->max)
    cap = a->max;
  if (cap > SIZE_MAX / a->elem_size)
    return out_of_memory(err); /* no allocation can be that large */
  grown = realloc(a->items, cap * a->elem_size);
  if (!grown)
    return out_of_memory(err);
  a->items = grown;
  a->cap = cap;
  return true;
}

void *gb_dynbuf_grow(struct gb_dynbuf *a, size_t n, struct gb_error *err)
{
  char *first;

  if (n == 0 || a->elem_size == 0) {
    gb_error_set(err, GB_ERR_INTERNAL, 0, "",
                 "growing by %zu elements of %zu bytes", n, a->elem_size);
    return NULL;
  }
  if (n > a->max - a->count) {
    gb_error_set(err, GB_ERR_TOO_LARGE, 0, "", "more than %zu entries",
                 a->max);
    return NULL;
  }
  if (!reserve(a, a->count + n, err))
    return NULL;
  first = (char *)a->items + a->count * a->elem_size;
  memset(first, 0, n * a->elem_size);
  a->count += n;
  return first;
}

bool gb_dynbuf_push(struct gb_dynbuf *a, const void *elem,
                    struct gb_error *err)
{
  void *slot = gb_dynbuf_grow(a, 1, err);

  if (!slot)
    return false;
  memcpy(slot, elem, a->elem_size);
  return true;
}

void *gb_dynbuf_at(const struct gb_dynbuf *a, size_t i)
{
  if (i >= a->count)
    return NULL;
  return (char *)a->items + i * a->elem_size;
}

void gb_dynbuf_truncate(struct gb_dynbuf *a, size_t count)
{
  if (count < a->count)
    a->count = count;
}

void gb_dynbuf_reset(struct gb_dynbuf *a)
{
  a->count = 0;
}

void gb_dynbuf_free(struct gb_dynbuf *a)
{
  free(a->items);
  a->items = NULL;
  a->count = 0;
  a->cap = 0;
}

void *gb_dynbuf_take(struct gb_dynbuf *a, size_t *count)
{
  void *items = a->items;

  if (count)
    *count = a->count;
  a->items = NULL;
  a->count = 0;
  a->cap = 0;
  return items;
}
