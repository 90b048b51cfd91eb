/* big_hour: a 100,000-game UTC hour loaded through the store's own code,
 * then checked against a recomputation, with the largest documents the
 * store wrote.
 *
 * usage: big_hour <mongodb-uri> <database> [games] [writers]
 *
 * The handler path (one invocation per game) would take far longer than a
 * test may; this drives gb_store_put_game and gb_store_refresh_leaderboards
 * directly, `writers` threads at once (each a store of its own, as an
 * instance), each waiting with gb_store_sync after every 500 games as a
 * delivery does, so refreshes take in batches as they do under load. 40 % of
 * the games are won by "Bot" (the hot key), the rest by 2,000 players. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "gb_store.h"
#include "gb_time.h"

struct load {
  const char *uri, *database;
  long games, writers;
  int64_t hour_ms, now_ms;
};

struct writer {
  struct load *load;
  long index;
  bool failed;
};

static void *write_games(void *arg)
{
  struct writer *w = arg;
  struct load *l = w->load;
  struct gb_error err = {0};
  struct gb_store *store = gb_store_new(l->uri, l->database, 2, 86400, &err);
  uint64_t rng = (uint64_t)w->index * 0x9E3779B97F4A7C15u + 1;

  if (!store) {
    fprintf(stderr, "big_hour: %s\n", err.message);
    w->failed = true;
    return NULL;
  }
  for (long i = w->index; i < l->games; i += l->writers) {
    struct gb_game g;
    enum gb_put_result result;

    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    memset(&g, 0, sizeof(g));
    snprintf(g.id, sizeof(g.id), "hour-%07ld", i);
    if (rng % 10 < 4)
      snprintf(g.winner_email, sizeof(g.winner_email), "Bot");
    else
      snprintf(g.winner_email, sizeof(g.winner_email), "p%04u@example.com",
               (unsigned)((rng >> 8) % 2000));
    g.rock_count = (int32_t)(rng % 7);
    g.paper_count = (int32_t)((rng >> 3) % 7);
    g.scissors_count = (int32_t)((rng >> 6) % 7);
    g.timestamp_ms =
        l->hour_ms + (int64_t)((uint64_t)i * 3600000u / (uint64_t)l->games);
    gb_time_format(g.timestamp_ms, g.timestamp_text);
    if (!gb_store_put_game(store, &g, &result, &err) ||
        (i / l->writers % 500 == 499 && !gb_store_sync(store, NULL, &err))) {
      fprintf(stderr, "big_hour: %s\n", err.message);
      w->failed = true;
      break;
    }
  }
  gb_store_destroy(store);
  return NULL;
}

static void largest(mongoc_client_t *client, const char *database,
                    const char *name)
{
  mongoc_collection_t *c =
      mongoc_client_get_collection(client, database, name);
  bson_t empty = BSON_INITIALIZER;
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(c, &empty, NULL, NULL);
  const bson_t *doc;
  uint32_t max = 0;
  long count = 0;

  while (mongoc_cursor_next(cursor, &doc)) {
    count++;
    if (doc->len > max)
      max = doc->len;
  }
  printf("big_hour: %-8s %7ld documents, largest %" PRIu32 " bytes\n", name,
         count, max);
  mongoc_cursor_destroy(cursor);
  mongoc_collection_destroy(c);
}

int main(int argc, char **argv)
{
  struct load l = {0};
  struct writer w[16];
  pthread_t threads[16];
  struct gb_leaderboard inc[GB_PERIOD_COUNT], full[GB_PERIOD_COUNT];
  struct gb_error err = {0};
  struct gb_store *store;
  mongoc_client_t *client;
  int failed = 0;

  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: big_hour <mongodb-uri> <database> [games] "
                    "[writers]\n");
    return 2;
  }
  l.uri = argv[1];
  l.database = argv[2];
  l.games = argc > 3 ? strtol(argv[3], NULL, 10) : 100000;
  l.writers = argc > 4 ? strtol(argv[4], NULL, 10) : 1;
  if (l.games < 1 || l.writers < 1 || l.writers > 16)
    return 2;
  l.now_ms = gb_time_now_ms();
  l.hour_ms = (l.now_ms / 3600000 - 2) * 3600000; /* a whole UTC hour */
  gb_store_init_driver();
  for (long i = 0; i < l.writers; i++) {
    w[i] = (struct writer){&l, i, false};
    pthread_create(&threads[i], NULL, write_games, &w[i]);
  }
  for (long i = 0; i < l.writers; i++) {
    pthread_join(threads[i], NULL);
    failed |= w[i].failed;
  }
  store = gb_store_new(l.uri, l.database, 2, 86400, &err);
  if (failed || !store ||
      !gb_store_refresh_leaderboards(store, l.now_ms, inc, &err) ||
      !gb_store_recompute_leaderboards(store, l.now_ms, full, &err)) {
    fprintf(stderr, "big_hour: failed: %s\n", err.message);
    return 1;
  }
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    bool same = inc[p].games == full[p].games &&
                inc[p].rock_count == full[p].rock_count &&
                inc[p].winner_count == full[p].winner_count;
    for (size_t i = 0; same && i < inc[p].winner_count; i++)
      same = strcmp(inc[p].winners[i].email, full[p].winners[i].email) == 0 &&
             inc[p].winners[i].wins == full[p].winners[i].wins;
    printf("big_hour: %-7s games %" PRId64 " (recomputed %" PRId64
           "), top %s %" PRId64 ": %s\n",
           gb_period_name((enum gb_period)p), inc[p].games, full[p].games,
           inc[p].winner_count ? inc[p].winners[0].email : "-",
           inc[p].winner_count ? inc[p].winners[0].wins : 0,
           same ? "equal" : "DIFFERENT");
    failed |= !same;
  }
  client = mongoc_client_new(l.uri);
  largest(client, l.database, "boards");
  largest(client, l.database, "tallies");
  largest(client, l.database, "games");
  mongoc_client_destroy(client);
  gb_store_destroy(store);
  gb_store_cleanup_driver();
  return failed;
}
