/* store_cost: a season driven straight through the store module
 * (handler/gb_store.h) with a simulated clock, for bench/store_cost.py,
 * which points the URI at bench/wire_proxy.py and counts what goes over the
 * wire in each mode.
 *
 * usage:
 *   store_cost <uri> <database> fill <from_ms> <to_ms> <interval_ms> <seed>
 *              <batch>
 *       Stores a game every interval_ms of simulated time in [from, to),
 *       refreshing the leaderboards after every `batch` games with now = the
 *       last game's Timestamp: history, not counted.
 *   store_cost <uri> <database> sweep <from_ms> <to_ms> <step_ms>
 *       Refreshes only, at now = from, from + step, ..., to: moves the
 *       window edges over stored history in small steps (FerretDB hangs on
 *       an update of 100+ statements matching documents, which one refresh
 *       taking in a whole range of history sends with the store before the
 *       rewrite).
 *   store_cost <uri> <database> measure <start_ms> <interval_ms> <games>
 *              <instances> <seed>
 *       Game i has Timestamp start + i * interval (simulated now when it
 *       arrives) and goes to one of `instances` stores, each an instance's
 *       own gb_store, chosen at random from the seed. Each delivery waits
 *       as the handler's does: gb_store_sync_at turns on the simulated
 *       clock until its game is taken in (measure() says how). With
 *       GB_STORE_COST_CHECK=1 in the environment, every answered game is
 *       looked up on its own connection (not counted): listed on the board
 *       or marked, else it counts as answered too early (early=N).
 *   store_cost <uri> <database> floor <start_ms> <interval_ms> <games> <seed>
 *       The same games, each one plain insert_one into `floor`, shaped as
 *       gb_store stores a game: the floor.
 *   store_cost <uri> <database> read <now_ms> <reads>
 *       gb_store_read_leaderboard, Daily, Weekly, Monthly in turn: what a
 *       GetStats read costs.
 *
 * prints one line of key=value figures per process; exits 0 when no call
 * failed. Games: ~1/3 won by "Bot", the rest by 200 players, moves 0..8,
 * ids "<prefix>-<index>" repeatable from the seed.
 *
 * The refresh signature: the rewritten store takes every pending game in
 * itself (gb_store_refresh_leaderboards(store, now_ms, boards, err)); the
 * store before it takes the Timestamps this caller stored since its last
 * refresh. Build with -DGB_COST_OLD_REFRESH for the latter
 * (bench/CMakeLists.txt tells which one handler/gb_store.h declares). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "gb_store.h"
#include "gb_time.h"

#define PLAYERS 200
#define MAX_PENDING 4096

static uint64_t mix(uint64_t x)
{
  /* splitmix64: game i's winner and moves depend on (seed, i) only. */
  x += UINT64_C(0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
  return x ^ (x >> 31);
}

static void make_game(struct gb_game *g, const char *prefix, uint64_t seed,
                      long i, int64_t timestamp_ms)
{
  uint64_t r = mix(seed * UINT64_C(1000003) + (uint64_t)i);

  memset(g, 0, sizeof(*g));
  snprintf(g->id, sizeof(g->id), "%s-%ld", prefix, i);
  if (r % 3 == 0)
    snprintf(g->winner_email, sizeof(g->winner_email), "Bot");
  else
    snprintf(g->winner_email, sizeof(g->winner_email),
             "player%03u@example.com", (unsigned)((r >> 8) % PLAYERS));
  g->rock_count = (int32_t)((r >> 20) % 9);
  g->paper_count = (int32_t)((r >> 24) % 9);
  g->scissors_count = (int32_t)((r >> 28) % 9);
  g->timestamp_ms = timestamp_ms;
  gb_time_format(timestamp_ms, g->timestamp_text);
}

struct instance {
  struct gb_store *store;
  int64_t pending[MAX_PENDING]; /* the old refresh's new_game_times */
  size_t pending_count;
  long games, stored, duplicates, refreshes, errors;
};

static bool refresh(struct instance *in, int64_t now_ms)
{
  struct gb_error err = {0};
  bool ok;

  ok = gb_store_refresh_leaderboards(in->store, now_ms, NULL, &err);
  in->refreshes++;
  if (!ok) {
    fprintf(stderr, "store_cost: refresh: %s\n", err.message);
    in->errors++;
    return false;
  }
  in->pending_count = 0;
  return true;
}

static void put(struct instance *in, const struct gb_game *g)
{
  struct gb_error err = {0};
  enum gb_put_result result;

  in->games++;
  if (!gb_store_put_game(in->store, g, &result, &err)) {
    fprintf(stderr, "store_cost: put %s: %s\n", g->id, err.message);
    in->errors++;
    return;
  }
  if (result == GB_PUT_STORED) {
    in->stored++;
    if (in->pending_count < MAX_PENDING)
      in->pending[in->pending_count++] = g->timestamp_ms;
  } else {
    in->duplicates++;
  }
}

static struct gb_store *open_store(const char *uri, const char *database)
{
  struct gb_error err = {0};
  struct gb_store *store = gb_store_new(uri, database, 2, 86400, &err);

  if (!store) {
    fprintf(stderr, "store_cost: %s\n", err.message);
    exit(1);
  }
  return store;
}

static void print_instance(const char *mode, int index,
                           const struct instance *in)
{
  printf("mode=%s instance=%d games=%ld stored=%ld duplicates=%ld "
         "refreshes=%ld errors=%ld\n",
         mode, index, in->games, in->stored, in->duplicates, in->refreshes,
         in->errors);
  fflush(stdout);
}

static int fill(const char *uri, const char *database, int64_t from,
                int64_t to, int64_t interval, uint64_t seed, long batch)
{
  static struct instance in;
  char prefix[32];
  long i = 0;

  snprintf(prefix, sizeof(prefix), "h%" PRId64, from);
  gb_store_init_driver();
  in.store = open_store(uri, database);
  for (int64_t t = from; t < to; t += interval, i++) {
    struct gb_game g;

    make_game(&g, prefix, seed, i, t);
    put(&in, &g);
    if (in.pending_count >= (size_t)batch)
      refresh(&in, t);
  }
  if (in.pending_count > 0)
    refresh(&in, to);
  print_instance("fill", 0, &in);
  gb_store_destroy(in.store);
  gb_store_cleanup_driver();
  return in.errors ? 1 : 0;
}

static int sweep(const char *uri, const char *database, int64_t from,
                 int64_t to, int64_t step)
{
  static struct instance in;

  gb_store_init_driver();
  in.store = open_store(uri, database);
  for (int64_t t = from; step > 0; t += step) {
    refresh(&in, t < to ? t : to);
    if (t >= to)
      break;
  }
  print_instance("sweep", 0, &in);
  gb_store_destroy(in.store);
  gb_store_cleanup_driver();
  return in.errors ? 1 : 0;
}

/* One handler instance of the measured phase: its store and the games
 * its deliveries wait for. */
struct waiter {
  struct instance in;
  int64_t again_ms;  /* its next gb_store_sync_at turn; 0: none due */
  int64_t *arrivals; /* of the deliveries waiting, oldest first */
  long *indexes;     /* their games */
  size_t first, count;
  long turns, answered;
  int64_t wait_total_ms, wait_max_ms;
};

/* True when game id is taken in: on the board's take list, or marked. */
static bool taken_in(mongoc_database_t *db, const char *id)
{
  mongoc_collection_t *boards = mongoc_database_get_collection(db, "boards");
  mongoc_collection_t *games = mongoc_database_get_collection(db, "games");
  bson_t *listed =
      BCON_NEW("_id", BCON_UTF8("leaderboards"), "take", BCON_UTF8(id));
  bson_t *marked =
      BCON_NEW("_id", BCON_UTF8(id), "k", "{", "$gt", BCON_INT64(0), "}");
  bson_error_t error;
  bool taken = mongoc_collection_count_documents(boards, listed, NULL, NULL,
                                                 NULL, &error) > 0 ||
               mongoc_collection_count_documents(games, marked, NULL, NULL,
                                                 NULL, &error) > 0;

  bson_destroy(marked);
  bson_destroy(listed);
  mongoc_collection_destroy(games);
  mongoc_collection_destroy(boards);
  return taken;
}

/* The n oldest waiting deliveries are answered at now_ms; check, when
 * set, looks each game up. */
static void answer(struct waiter *w, size_t n, int64_t now_ms,
                   mongoc_database_t *check, long *early)
{
  for (size_t i = 0; i < n && w->count > 0; i++, w->count--) {
    int64_t wait = now_ms - w->arrivals[w->first];
    long index = w->indexes[w->first++];

    if (check) {
      char id[32];

      snprintf(id, sizeof(id), "m-%ld", index);
      if (!taken_in(check, id))
        (*early)++;
    }

    w->answered++;
    w->wait_total_ms += wait;
    if (wait > w->wait_max_ms)
      w->wait_max_ms = wait;
  }
}

/* The handler's GameCompleted path on a simulated clock: each game goes
 * to one of the instances (as a load balancer spreads them), is stored,
 * and its delivery waits through gb_store_sync_at turns until its game is
 * taken in, as gb_store_sync does between sleeps. Events run in simulated
 * time order, one at a time: a refresh takes milliseconds, far less than
 * the gaps between the rates' games, so they do not overlap (the
 * multi-instance tests race real processes). */
static int measure(const char *uri, const char *database, int64_t start,
                   int64_t interval, long games, int instances, uint64_t seed)
{
  struct waiter *w = calloc((size_t)instances, sizeof(*w));
  long next = 0, errors = 0, early = 0;
  const char *checking = getenv("GB_STORE_COST_CHECK");
  mongoc_client_t *client = NULL;
  mongoc_database_t *check = NULL;

  if (!w)
    return 1;
  gb_store_init_driver();
  for (int k = 0; k < instances; k++) {
    w[k].in.store = open_store(uri, database);
    w[k].arrivals = calloc((size_t)games, sizeof(*w[k].arrivals));
    w[k].indexes = calloc((size_t)games, sizeof(*w[k].indexes));
    if (!w[k].arrivals || !w[k].indexes)
      return 1;
  }
  if (checking && strcmp(checking, "1") == 0) {
    client = mongoc_client_new(uri);
    if (!client)
      return 1;
    check = mongoc_client_get_database(client, database);
  }
  for (;;) {
    int soonest = -1;
    int64_t arrival = start + next * interval;

    for (int k = 0; k < instances; k++)
      if (w[k].again_ms &&
          (soonest < 0 || w[k].again_ms < w[soonest].again_ms))
        soonest = k;
    if (next < games && (soonest < 0 || arrival <= w[soonest].again_ms)) {
      struct waiter *to =
          &w[mix(seed ^ UINT64_C(0x5bd1e995) ^ (uint64_t)next) %
             (uint64_t)instances];
      struct gb_game g;

      make_game(&g, "m", seed, next, arrival);
      put(&to->in, &g);
      gb_store_await(to->in.store, g.id);
      to->indexes[to->first + to->count] = next;
      to->arrivals[to->first + to->count++] = arrival;
      if (!to->again_ms)
        to->again_ms = arrival;
      next++;
    } else if (soonest >= 0) {
      struct waiter *at = &w[soonest];
      struct gb_error err = {0};
      int64_t now = at->again_ms, again = 0;
      size_t done = 0;

      at->turns++;
      if (!gb_store_sync_at(at->in.store, now, &again, &done, &err)) {
        fprintf(stderr, "store_cost: sync: %s\n", err.message);
        at->in.errors++;
        if (++errors > 100)
          break;
        again = now + 1000; /* Event Grid would redeliver */
      }
      answer(at, done, now, check, &early);
      at->again_ms = again == 0 ? 0 : again > now ? again : now;
    } else {
      break;
    }
  }
  for (int k = 0; k < instances; k++) {
    struct waiter *x = &w[k];

    printf("mode=measure instance=%d games=%ld stored=%ld duplicates=%ld "
           "turns=%ld answered=%ld wait_total_ms=%" PRId64
           " wait_max_ms=%" PRId64 " errors=%ld\n",
           k, x->in.games, x->in.stored, x->in.duplicates, x->turns,
           x->answered, x->wait_total_ms, x->wait_max_ms, x->in.errors);
    gb_store_destroy(x->in.store);
    free(x->arrivals);
    free(x->indexes);
  }
  if (check) {
    printf("mode=check early=%ld\n", early);
    mongoc_database_destroy(check);
    mongoc_client_destroy(client);
  }
  gb_store_cleanup_driver();
  free(w);
  return errors ? 1 : 0;
}

static int floor_inserts(const char *uri, const char *database, int64_t start,
                         int64_t interval, long games, uint64_t seed)
{
  mongoc_client_t *client;
  mongoc_collection_t *coll;
  mongoc_uri_t *parsed;
  bson_error_t error;
  long errors = 0;

  mongoc_init();
  parsed = mongoc_uri_new_with_error(uri, &error);
  if (!parsed) {
    fprintf(stderr, "store_cost: %s\n", error.message);
    return 1;
  }
  client = mongoc_client_new_from_uri(parsed);
  coll = mongoc_client_get_collection(client, database, "floor");
  for (long i = 0; i < games; i++) {
    struct gb_game g;
    bson_t *doc;

    make_game(&g, "m", seed, i, start + i * interval);
    doc = BCON_NEW("_id", BCON_UTF8(g.id), "WinnerEmail",
                   BCON_UTF8(g.winner_email), "RockCount",
                   BCON_INT32(g.rock_count), "PaperCount",
                   BCON_INT32(g.paper_count), "ScissorsCount",
                   BCON_INT32(g.scissors_count), "Timestamp",
                   BCON_DATE_TIME(g.timestamp_ms), "storedAt",
                   BCON_DATE_TIME(gb_time_now_ms()));
    if (!mongoc_collection_insert_one(coll, doc, NULL, NULL, &error)) {
      fprintf(stderr, "store_cost: floor: %s\n", error.message);
      errors++;
    }
    bson_destroy(doc);
  }
  printf("mode=floor games=%ld errors=%ld\n", games, errors);
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(parsed);
  mongoc_cleanup();
  return errors ? 1 : 0;
}

static int reads(const char *uri, const char *database, int64_t now,
                 long count)
{
  struct gb_store *store;
  long found_count = 0, errors = 0;

  gb_store_init_driver();
  store = open_store(uri, database);
  for (long i = 0; i < count; i++) {
    struct gb_leaderboard board;
    struct gb_error err = {0};
    bool found = false, from_memory = false;

    /* The store's in-process copy is off (open_store): every read is a
     * round trip, the cost of a GetStats on a cold instance. */
    if (!gb_store_read_leaderboard(store,
                                   (enum gb_period)(i % GB_PERIOD_COUNT), now,
                                   &board, &found, &from_memory, &err)) {
      fprintf(stderr, "store_cost: read: %s\n", err.message);
      errors++;
    }
    found_count += found;
  }
  printf("mode=read reads=%ld found=%ld errors=%ld\n", count, found_count,
         errors);
  gb_store_destroy(store);
  gb_store_cleanup_driver();
  return errors ? 1 : 0;
}

static int64_t arg_i64(const char *s)
{
  return strtoll(s, NULL, 10);
}

int main(int argc, char **argv)
{
  const char *mode = argc > 3 ? argv[3] : "";

  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(mode, "fill") == 0 && argc == 9)
    return fill(argv[1], argv[2], arg_i64(argv[4]), arg_i64(argv[5]),
                arg_i64(argv[6]), (uint64_t)arg_i64(argv[7]),
                (long)arg_i64(argv[8]));
  if (strcmp(mode, "sweep") == 0 && argc == 7)
    return sweep(argv[1], argv[2], arg_i64(argv[4]), arg_i64(argv[5]),
                 arg_i64(argv[6]));
  if (strcmp(mode, "measure") == 0 && argc == 9)
    return measure(argv[1], argv[2], arg_i64(argv[4]), arg_i64(argv[5]),
                   (long)arg_i64(argv[6]), (int)arg_i64(argv[7]),
                   (uint64_t)arg_i64(argv[8]));
  if (strcmp(mode, "floor") == 0 && argc == 8)
    return floor_inserts(argv[1], argv[2], arg_i64(argv[4]), arg_i64(argv[5]),
                         (long)arg_i64(argv[6]), (uint64_t)arg_i64(argv[7]));
  if (strcmp(mode, "read") == 0 && argc == 6)
    return reads(argv[1], argv[2], arg_i64(argv[4]), (long)arg_i64(argv[5]));
  fprintf(stderr, "usage: see bench/store_cost.c\n");
  return 2;
}
