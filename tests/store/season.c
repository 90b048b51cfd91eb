/* season: plays a randomized season straight into the store on a real
 * database and checks after every refresh that the incremental
 * leaderboards equal a recomputation from every stored game at the same
 * instant.
 *
 * usage: season <mongodb-uri> <database> <seed> <events> [writers]
 *
 * With writers > 1 (a server with atomic single-document updates only:
 * mongo-java-server, not FerretDB), that many threads, each with a store
 * of its own as an instance, store and refresh concurrently, redelivering
 * each other's games; the check then runs once at the end.
 *
 * The clock is simulated and crosses the end of March, where the Monthly
 * window's start moves backwards (the AddMonths clamp). Games arrive on
 * time, late by hours or days, from before the window, up to a day early;
 * some are delivered again; some invocations "fail" after storing the game
 * (the game stays pending) and are delivered again later, as Event Grid
 * would; sometimes the board is deleted and must be rebuilt from the games;
 * sometimes a refresh "crashes" right after its board write (its marks and
 * tally writes undone, the other of two stores going on); sometimes a read
 * refreshes with no new game. Exits 0 and prints the figures when every check
 * passed. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "gb_store.h"
#include "gb_time.h"

#define MAX_GAMES 20000
#define MAX_REDELIVERIES 16

static uint64_t rng_state;

static uint32_t next_random(void)
{
  /* xorshift64*: repeatable from the seed on every platform. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 32);
}

static int64_t random_below(int64_t n)
{
  uint64_t r = ((uint64_t)next_random() << 32) | next_random();

  return n > 0 ? (int64_t)(r % (uint64_t)n) : 0;
}

static const char *const players[] = {"alice@example.com",
                                      "bob@example.com",
                                      "carol@example.com",
                                      "dave@example.com",
                                      "eve@example.com",
                                      "frank@example.com",
                                      "Bot",
                                      "d$llar@example.com",
                                      "dots.in.name@example.com",
                                      "zoë@example.com",
                                      "amy@example.com",
                                      "Amy@example.com"};
#define PLAYER_COUNT (sizeof(players) / sizeof(players[0]))

struct season {
  struct gb_store *store;
  mongoc_client_t *client;
  const char *database;
  struct gb_game games[MAX_GAMES];
  size_t game_count;
  size_t outstanding[MAX_GAMES]; /* stored, refresh "failed" */
  size_t outstanding_count;
  long checks, redeliveries, failures, rebuilds, reads, late, early;
  long crashes;
  bool rebuilding;
  /* Two stores, as two instances: after a simulated crash the other one
   * goes on, with none of the crashed one's memory. */
  struct gb_store *stores[2];
  int current;
  /* Round trips of storing a game and refreshing, recomputation aside. */
  uint64_t commands, commands_max, commands_before_check;
  long delivered;
};

static void die(const char *what, const struct gb_error *err)
{
  fprintf(stderr, "season: %s: %s\n", what, err ? err->message : "");
  exit(1);
}

static void new_game(struct season *s, int64_t now)
{
  struct gb_game *g = &s->games[s->game_count];
  int64_t roll = random_below(100), lag;

  memset(g, 0, sizeof(*g));
  snprintf(g->id, sizeof(g->id), "g%06zu-%08x", s->game_count, next_random());
  snprintf(g->winner_email, sizeof(g->winner_email), "%s",
           players[random_below((int64_t)PLAYER_COUNT)]);
  g->rock_count = (int32_t)random_below(9);
  g->paper_count = (int32_t)random_below(9);
  g->scissors_count = (int32_t)random_below(9);
  if (roll < 75) {
    lag = random_below(5 * 60 * 1000);
  } else if (roll < 88) {
    lag = random_below(3 * GB_MS_PER_DAY);
    s->late++;
  } else if (roll < 94) {
    lag = random_below(40 * GB_MS_PER_DAY);
    s->late++;
  } else {
    lag = -random_below(GB_MS_PER_DAY);
    s->early++;
  }
  g->timestamp_ms = now - lag;
  gb_time_format(g->timestamp_ms, g->timestamp_text);
  s->game_count++;
}

static void same_or_die(const struct gb_leaderboard *a,
                        const struct gb_leaderboard *b, int64_t now)
{
  char when[32];
  bool same = a->games == b->games && a->rock_count == b->rock_count &&
              a->paper_count == b->paper_count &&
              a->scissors_count == b->scissors_count &&
              a->window_start_ms == b->window_start_ms &&
              a->window_end_ms == b->window_end_ms &&
              a->winner_count == b->winner_count;

  for (size_t i = 0; same && i < a->winner_count; i++)
    same = strcmp(a->winners[i].email, b->winners[i].email) == 0 &&
           a->winners[i].wins == b->winners[i].wins;
  if (same)
    return;
  gb_time_format(now, when);
  fprintf(stderr, "season: %s differs at %s\n", gb_period_name(a->period),
          when);
  fprintf(stderr,
          "  incremental: games %" PRId64 " R%" PRId64 " P%" PRId64
          " S%" PRId64 " winners %zu\n",
          a->games, a->rock_count, a->paper_count, a->scissors_count,
          a->winner_count);
  fprintf(stderr,
          "  recomputed:  games %" PRId64 " R%" PRId64 " P%" PRId64
          " S%" PRId64 " winners %zu\n",
          b->games, b->rock_count, b->paper_count, b->scissors_count,
          b->winner_count);
  for (size_t i = 0; i < a->winner_count || i < b->winner_count; i++)
    fprintf(stderr, "  %zu: %s %" PRId64 " | %s %" PRId64 "\n", i,
            i < a->winner_count ? a->winners[i].email : "-",
            i < a->winner_count ? a->winners[i].wins : 0,
            i < b->winner_count ? b->winners[i].email : "-",
            i < b->winner_count ? b->winners[i].wins : 0);
  exit(1);
}

static void mongo_or_die(bool ok, const char *what, const bson_error_t *e)
{
  if (!ok) {
    fprintf(stderr, "season: %s: %s\n", what, e->message);
    exit(1);
  }
}

/* Undoes what a refresh wrote after its board: the marks of the games it
 * took in and its tally writes, as if its process had stopped right after
 * the board write. tallies_before is the tallies collection before it. */
static void undo_follow_up_writes(struct season *s, bson_t **tallies_before,
                                  size_t count)
{
  mongoc_collection_t *boards =
      mongoc_client_get_collection(s->client, s->database, "boards");
  mongoc_collection_t *tallies =
      mongoc_client_get_collection(s->client, s->database, "tallies");
  mongoc_collection_t *games =
      mongoc_client_get_collection(s->client, s->database, "games");
  bson_t empty = BSON_INITIALIZER, *filter, *unmark;
  bson_error_t error;
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(boards, &empty, NULL, NULL);
  const bson_t *doc;
  bson_iter_t it, take;
  int64_t seq = -1;
  bson_t in;

  /* Only the games this board listed: k values repeat across lineages. */
  filter = bson_new();
  BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &in);
  if (mongoc_cursor_next(cursor, &doc)) {
    if (bson_iter_init_find(&it, doc, "s"))
      seq = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "take") &&
        bson_iter_recurse(&it, &take)) {
      bson_t ids;
      BSON_APPEND_ARRAY_BEGIN(&in, "$in", &ids);
      while (bson_iter_next(&take))
        bson_append_iter(&ids, bson_iter_key(&take), -1, &take);
      bson_append_array_end(&in, &ids);
    }
  }
  bson_append_document_end(filter, &in);
  BSON_APPEND_INT64(filter, "k", seq);
  mongoc_cursor_destroy(cursor);
  unmark = BCON_NEW("$set", "{", "k", BCON_INT64(0), "}");
  mongo_or_die(mongoc_collection_update_many(games, filter, unmark, NULL,
                                             NULL, &error),
               "unmarking", &error);
  mongo_or_die(
      mongoc_collection_delete_many(tallies, &empty, NULL, NULL, &error),
      "clearing tallies", &error);
  for (size_t i = 0; i < count; i++)
    mongo_or_die(mongoc_collection_insert_one(tallies, tallies_before[i],
                                              NULL, NULL, &error),
                 "restoring tallies", &error);
  bson_destroy(unmark);
  bson_destroy(filter);
  mongoc_collection_destroy(games);
  mongoc_collection_destroy(tallies);
  mongoc_collection_destroy(boards);
}

static size_t snapshot_tallies(struct season *s, bson_t ***out)
{
  mongoc_collection_t *tallies =
      mongoc_client_get_collection(s->client, s->database, "tallies");
  bson_t empty = BSON_INITIALIZER;
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(tallies, &empty, NULL, NULL);
  const bson_t *doc;
  size_t count = 0, cap = 0;
  bson_t **docs = NULL;
  bson_error_t error;

  while (mongoc_cursor_next(cursor, &doc)) {
    if (count == cap) {
      cap = cap ? 2 * cap : 64;
      docs = realloc(docs, cap * sizeof(*docs));
      if (!docs)
        die("out of memory", NULL);
    }
    docs[count++] = bson_copy(doc);
  }
  mongo_or_die(!mongoc_cursor_error(cursor, &error), "snapshot", &error);
  mongoc_cursor_destroy(cursor);
  mongoc_collection_destroy(tallies);
  *out = docs;
  return count;
}

static void refresh_and_check(struct season *s, int64_t now)
{
  struct gb_leaderboard inc[GB_PERIOD_COUNT], full[GB_PERIOD_COUNT];
  struct gb_error err = {0};
  /* Not a rebuild: it writes tallies before its board. */
  bool crash = random_below(100) < 10 && !s->rebuilding;
  bson_t **before = NULL;
  size_t before_count = 0;

  if (crash)
    before_count = snapshot_tallies(s, &before);
  if (!gb_store_refresh_leaderboards(s->store, now, inc, &err))
    die("refresh", &err);
  if (crash) {
    undo_follow_up_writes(s, before, before_count);
    for (size_t i = 0; i < before_count; i++)
      bson_destroy(before[i]);
    free(before);
    s->current = 1 - s->current;
    s->store = s->stores[s->current];
    s->crashes++;
  }
  s->commands_before_check = gb_store_thread_commands();
  /* A game whose invocation failed after storing it is pending, and the
   * next refresh takes it in: the check holds after every refresh. */
  if (!gb_store_recompute_leaderboards(s->store, now, full, &err))
    die("recompute", &err);
  for (int p = 0; p < GB_PERIOD_COUNT; p++)
    same_or_die(&inc[p], &full[p], now);
  s->checks++;
}

static void deliver(struct season *s, const struct gb_game *g, int64_t now,
                    bool fail_after_store)
{
  struct gb_error err = {0};
  enum gb_put_result result;
  uint64_t before = gb_store_thread_commands(), used;

  if (!gb_store_put_game(s->store, g, &result, &err))
    die("put", &err);
  if (result == GB_PUT_CONFLICT)
    die("put: unexpected conflict", NULL);
  if (fail_after_store) {
    s->outstanding[s->outstanding_count++] = (size_t)(g - s->games);
    s->failures++;
    return;
  }
  refresh_and_check(s, now);
  used = s->commands_before_check - before;
  s->commands += used;
  s->commands_max = used > s->commands_max ? used : s->commands_max;
  s->delivered++;
}

static void delete_view(struct season *s)
{
  mongoc_collection_t *views =
      mongoc_client_get_collection(s->client, s->database, "boards");
  bson_t filter = BSON_INITIALIZER;
  bson_error_t error;

  BSON_APPEND_UTF8(&filter, "_id", "leaderboards");
  if (!mongoc_collection_delete_one(views, &filter, NULL, NULL, &error)) {
    fprintf(stderr, "season: deleting the view: %s\n", error.message);
    exit(1);
  }
  bson_destroy(&filter);
  mongoc_collection_destroy(views);
  s->rebuilds++;
}

/* ================ Concurrent writers ================ */

struct writers {
  struct season *s;
  pthread_mutex_t lock; /* the clock, the games and the random numbers */
  int64_t now;
  long events_left;
  long stored, duplicates;
  long contended; /* refreshes answered 503, delivered again */
};

/* Stores g and refreshes, as one invocation. A refresh that kept losing
 * the board to the other writers fails as retryable (503), and Event Grid
 * would deliver the game again: so does this, up to MAX_REDELIVERIES
 * times; the first delivery's result is the one counted. */
static void deliver_until_answered(struct writers *w, struct gb_store *store,
                                   const struct gb_game *g, int64_t now,
                                   enum gb_put_result *first)
{
  for (int delivery = 0; delivery <= MAX_REDELIVERIES; delivery++) {
    struct gb_error err = {0};
    enum gb_put_result result;

    if (!gb_store_put_game(store, g, &result, &err))
      die("put", &err);
    if (result == GB_PUT_CONFLICT)
      die("put: unexpected conflict", NULL);
    if (delivery == 0)
      *first = result;
    if (gb_store_refresh_leaderboards(store, now, NULL, &err))
      return;
    if (!gb_error_retryable(&err) || delivery == MAX_REDELIVERIES)
      die("refresh", &err);
    pthread_mutex_lock(&w->lock);
    w->contended++;
    pthread_mutex_unlock(&w->lock);
  }
}

static void *writer(void *arg)
{
  struct writers *w = arg;
  struct gb_error err = {0};
  struct gb_store *store =
      gb_store_new(getenv("SEASON_URI"), w->s->database, 2, 3600, &err);

  if (!store)
    die("store", &err);
  for (;;) {
    struct gb_game g;
    enum gb_put_result result;
    int64_t now;
    bool again;

    pthread_mutex_lock(&w->lock);
    if (w->events_left-- <= 0) {
      pthread_mutex_unlock(&w->lock);
      break;
    }
    w->now += random_below(10 * 60 * 1000);
    now = w->now;
    again = w->s->game_count > 0 && random_below(100) < 25;
    if (again) {
      g = w->s->games[random_below((int64_t)w->s->game_count)];
    } else {
      new_game(w->s, now);
      g = w->s->games[w->s->game_count - 1];
    }
    pthread_mutex_unlock(&w->lock);
    deliver_until_answered(w, store, &g, now, &result);
    pthread_mutex_lock(&w->lock);
    w->stored += result == GB_PUT_STORED;
    w->duplicates += result == GB_PUT_DUPLICATE;
    pthread_mutex_unlock(&w->lock);
  }
  gb_store_destroy(store);
  return NULL;
}

static int concurrent_season(struct season *s, const char *uri, long events,
                             long count)
{
  struct writers w = {.s = s, .events_left = events};
  pthread_t threads[16];
  struct gb_leaderboard inc[GB_PERIOD_COUNT], full[GB_PERIOD_COUNT];
  struct gb_error err = {0};

  setenv("SEASON_URI", uri, 1);
  pthread_mutex_init(&w.lock, NULL);
  w.now = gb_days_from_civil(2026, 3, 25) * GB_MS_PER_DAY;
  for (long i = 0; i < count; i++)
    if (pthread_create(&threads[i], NULL, writer, &w) != 0)
      die("pthread_create", NULL);
  for (long i = 0; i < count; i++)
    pthread_join(threads[i], NULL);
  if (!gb_store_refresh_leaderboards(s->store, w.now, inc, &err))
    die("refresh", &err);
  if (!gb_store_recompute_leaderboards(s->store, w.now, full, &err))
    die("recompute", &err);
  for (int p = 0; p < GB_PERIOD_COUNT; p++)
    same_or_die(&inc[p], &full[p], w.now);
  printf("season: %ld writers, %zu games, %ld stored, %ld duplicates, %ld "
         "contended refreshes delivered again; equal to a recomputation\n",
         count, s->game_count, w.stored, w.duplicates, w.contended);
  pthread_mutex_destroy(&w.lock);
  return 0;
}

int main(int argc, char **argv)
{
  struct season *s = calloc(1, sizeof(*s));
  struct gb_error err = {0};
  long events;
  int64_t now;

  long writers = argc == 6 ? strtol(argv[5], NULL, 10) : 1;

  if ((argc != 5 && argc != 6) || !s || writers < 1 || writers > 16) {
    fprintf(stderr, "usage: season <mongodb-uri> <database> <seed> "
                    "<events> [writers]\n");
    return 2;
  }
  rng_state = strtoull(argv[3], NULL, 10) * 2654435761u + 1;
  events = strtol(argv[4], NULL, 10);
  if (events < 1 || events > MAX_GAMES)
    return 2;
  s->database = argv[2];
  gb_store_init_driver();
  for (int i = 0; i < 2; i++) {
    s->stores[i] = gb_store_new(argv[1], argv[2], 2, 3600, &err);
    if (!s->stores[i])
      die("store", &err);
    /* Every refresh moves the windows, however close the instants. */
    gb_store_set_refresh_interval_ms(s->stores[i], 0);
  }
  s->store = s->stores[0];
  s->client = mongoc_client_new(argv[1]);
  if (!s->client)
    die("client", NULL);
  if (writers > 1) {
    int code = concurrent_season(s, argv[1], events, writers);
    mongoc_client_destroy(s->client);
    gb_store_destroy(s->stores[0]);
    gb_store_destroy(s->stores[1]);
    gb_store_cleanup_driver();
    free(s);
    return code;
  }
  /* 2026-03-12: the season runs across the end of March. */
  now = gb_days_from_civil(2026, 3, 12) * GB_MS_PER_DAY;

  for (long e = 0; e < events; e++) {
    int64_t roll = random_below(100);

    now += random_below(100) < 3 ? random_below(2 * GB_MS_PER_DAY)
                                 : random_below(90 * 60 * 1000);
    if (s->outstanding_count > 0 && random_below(2) == 0) {
      size_t k = (size_t)random_below((int64_t)s->outstanding_count);
      size_t game = s->outstanding[k];

      s->outstanding[k] = s->outstanding[--s->outstanding_count];
      s->redeliveries++;
      deliver(s, &s->games[game], now, false);
    } else if (roll < 70 || s->game_count == 0) {
      new_game(s, now);
      deliver(s, &s->games[s->game_count - 1], now, false);
    } else if (roll < 82) {
      s->redeliveries++;
      deliver(s, &s->games[random_below((int64_t)s->game_count)], now, false);
    } else if (roll < 90) {
      new_game(s, now);
      deliver(s, &s->games[s->game_count - 1], now, true);
    } else if (roll < 98) {
      s->reads++;
      refresh_and_check(s, now);
    } else {
      delete_view(s);
      s->rebuilding = true;
      refresh_and_check(s, now);
      s->rebuilding = false;
    }
  }
  while (s->outstanding_count > 0) {
    size_t game = s->outstanding[--s->outstanding_count];

    s->redeliveries++;
    deliver(s, &s->games[game], now, false);
  }
  refresh_and_check(s, now);
  printf("season: %zu games, %ld redeliveries, %ld failed invocations, "
         "%ld late, %ld early, %ld reads, %ld rebuilds, %ld crashes after "
         "the board write; %ld checks equal\n",
         s->game_count, s->redeliveries, s->failures, s->late, s->early,
         s->reads, s->rebuilds, s->crashes, s->checks);
  printf("season: database round trips per delivery: mean %.1f, max %" PRIu64
         "\n",
         s->delivered ? (double)s->commands / (double)s->delivered : 0.0,
         s->commands_max);
  mongoc_client_destroy(s->client);
  gb_store_destroy(s->stores[0]);
  gb_store_destroy(s->stores[1]);
  gb_store_cleanup_driver();
  free(s);
  return 0;
}
