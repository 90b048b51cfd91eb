#include "gb_body_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct slot {
  int64_t version;
  char *text; /* NULL: empty */
};

struct gb_body_cache {
  pthread_mutex_t lock;
  size_t count;
  struct slot *slots;
};

struct gb_body_cache *gb_body_cache_new(size_t slots)
{
  struct gb_body_cache *cache = calloc(1, sizeof(*cache));

  if (!cache)
    return NULL;
  cache->slots = calloc(slots ? slots : 1, sizeof(*cache->slots));
  if (!cache->slots || pthread_mutex_init(&cache->lock, NULL) != 0) {
    free(cache->slots);
    free(cache);
    return NULL;
  }
  cache->count = slots;
  return cache;
}

void gb_body_cache_destroy(struct gb_body_cache *cache)
{
  if (!cache)
    return;
  for (size_t i = 0; i < cache->count; i++)
    free(cache->slots[i].text);
  pthread_mutex_destroy(&cache->lock);
  free(cache->slots);
  free(cache);
}

char *gb_body_cache_get(struct gb_body_cache *cache, size_t slot,
                        int64_t version)
{
  char *copy = NULL;

  if (!cache || slot >= cache->count)
    return NULL;
  pthread_mutex_lock(&cache->lock);
  if (cache->slots[slot].text && cache->slots[slot].version == version)
    copy = strdup(cache->slots[slot].text);
  pthread_mutex_unlock(&cache->lock);
  return copy;
}

void gb_body_cache_put(struct gb_body_cache *cache, size_t slot,
                       int64_t version, const char *text)
{
  char *copy;

  if (!cache || slot >= cache->count)
    return;
  copy = text ? strdup(text) : NULL;
  pthread_mutex_lock(&cache->lock);
  free(cache->slots[slot].text);
  cache->slots[slot].text = copy;
  cache->slots[slot].version = version;
  pthread_mutex_unlock(&cache->lock);
}
