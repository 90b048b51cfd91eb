#include "gb_batch.h"

#include <stdlib.h>
#include <string.h>

bool gb_batch_split(const size_t *lens, size_t n, size_t max_bytes,
                    size_t max_events, struct gb_batch *out, size_t cap,
                    size_t *batches, struct gb_error *err)
{
  size_t i, used = 0;
  struct gb_batch current = {0, 0, 2}; /* "[]" */

  for (i = 0; i < n; i++) {
    size_t add = lens[i] + (current.count ? 1 : 0); /* the comma */

    if (lens[i] + 2 > max_bytes)
      return gb_error_set(err, GB_ERR_TOO_LARGE, 0, "",
                          "event %zu is %zu bytes, over the %zu-byte limit",
                          i, lens[i], max_bytes - 2);
    if (current.count &&
        (current.bytes + add > max_bytes || current.count == max_events)) {
      if (used == cap)
        return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "too many batches");
      out[used++] = current;
      current.first = i;
      current.count = 0;
      current.bytes = 2;
      add = lens[i];
    }
    current.count++;
    current.bytes += add;
  }
  if (current.count) {
    if (used == cap)
      return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "too many batches");
    out[used++] = current;
  }
  *batches = used;
  return true;
}

char *gb_batch_body(const struct gb_batch *batch, char *const *texts,
                    const size_t *lens)
{
  char *body = malloc(batch->bytes + 1);
  size_t used = 0;

  if (!body)
    return NULL;
  body[used++] = '[';
  for (size_t i = batch->first; i < batch->first + batch->count; i++) {
    if (i > batch->first)
      body[used++] = ',';
    memcpy(body + used, texts[i], lens[i]);
    used += lens[i];
  }
  body[used++] = ']';
  body[used] = '\0';
  return body;
}
