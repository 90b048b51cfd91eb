/* gb_body_cache: the last reply body served per slot (a leaderboard
 * period), kept with its version, so that a hot read of an unchanged
 * leaderboard neither builds nor prints its JSON again. Thread-safe. */
#ifndef GB_BODY_CACHE_H
#define GB_BODY_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct gb_body_cache;

/* NULL when out of memory (callers then build every body). */
struct gb_body_cache *gb_body_cache_new(size_t slots);
void gb_body_cache_destroy(struct gb_body_cache *cache);

/* A copy (free() it) of slot's text when it is of version, else NULL. */
char *gb_body_cache_get(struct gb_body_cache *cache, size_t slot,
                        int64_t version);

/* Keeps a copy of text as slot's, of version; a slot beyond the cache's,
 * or no memory for the copy, leaves the slot empty. */
void gb_body_cache_put(struct gb_body_cache *cache, size_t slot,
                       int64_t version, const char *text);

#endif
