#include "gb_store.h"
#include "gb_store_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>

#include "gb_db_error.h"
#include "gb_log.h"
#include "gb_text.h"
#include "gb_time.h"
#include "gb_tls.h"

#define GAMES GB_STORE_GAMES
#define REJECTED "rejected"

/* Throttled (16500) operations are retried in place this often, waiting the
 * server's RetryAfterMs capped at THROTTLE_WAIT_CAP_MS, before the
 * invocation fails and Event Grid's own retry takes over. */
#define THROTTLE_RETRIES 2
#define THROTTLE_WAIT_CAP_MS 1000
#define THROTTLE_DEFAULT_WAIT_MS 100

#define RAW_EVENT_MAX 16384
#define TEXT_MAX 512

/* ================ Connection ================ */

/* Database commands sent by the calling thread, for the per-invocation
 * figure in the logs: the driver calls APM callbacks on the thread that
 * runs the command. */
static _Thread_local uint64_t thread_commands;

static void on_command_started(const mongoc_apm_command_started_t *event)
{
  (void)event;
  thread_commands++;
}

uint64_t gb_store_thread_commands(void)
{
  return thread_commands;
}

static void default_int_option(mongoc_uri_t *uri, const char *key,
                               int32_t value)
{
  if (!mongoc_uri_has_option(uri, key))
    mongoc_uri_set_option_as_int32(uri, key, value);
}

struct gb_store *gb_store_new(const char *connection_string,
                              const char *database, int max_clients,
                              long ttl_seconds, struct gb_error *err)
{
  struct gb_store *store = calloc(1, sizeof(*store));
  bson_error_t error;

  if (!store) {
    gb_error_nomem(err);
    return NULL;
  }
  pthread_mutex_init(&store->setup_lock, NULL);
  pthread_mutex_init(&store->pool_lock, NULL);
  pthread_mutex_init(&store->clock_lock, NULL);
  pthread_mutex_init(&store->board_lock, NULL);
  pthread_mutex_init(&store->cache_lock, NULL);
  store->ttl_seconds = ttl_seconds;
  store->refresh_interval_ms = GB_STORE_REFRESH_INTERVAL_MS;
  store->uri = mongoc_uri_new_with_error(connection_string, &error);
  if (!store->uri) {
    /* mongoc's message can quote parts of the string, which may hold the
     * account key, so only a generic reason is given. */
    gb_error_set(err, GB_ERR_CONFIG, 0, "COSMOS_CONNECTION_STRING",
                 "COSMOS_CONNECTION_STRING is not a valid mongodb:// "
                 "connection string");
    goto fail;
  }
  if (!mongoc_uri_has_option(store->uri, MONGOC_URI_RETRYWRITES))
    mongoc_uri_set_option_as_bool(store->uri, MONGOC_URI_RETRYWRITES, false);
  default_int_option(store->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
  default_int_option(store->uri, MONGOC_URI_CONNECTTIMEOUTMS, 5000);
  default_int_option(store->uri, MONGOC_URI_SOCKETTIMEOUTMS, 15000);
  store->max_clients = (uint32_t)(max_clients > 0 ? max_clients : 1);
  store->database = strdup(database);
  if (!store->database) {
    gb_error_nomem(err);
    goto fail;
  }
  return store;

fail:
  gb_store_destroy(store);
  return NULL;
}

/* The client pool, created on the first call that needs it rather than in
 * gb_store_new: creating it initialises TLS (an SSL_CTX for a tls=true URI,
 * as Cosmos DB's is) and, for a mongodb+srv URI, looks the SRV and TXT
 * records up, and neither may delay the first answer to the host's GET /.
 * Under pool_lock, so that concurrent first calls create one pool; a
 * failure leaves none and the next call tries again. Once created, the
 * pool is read without the lock. Returns the pool, or NULL with err
 * (retryable). */
static mongoc_client_pool_t *ensure_pool(struct gb_store *store,
                                         struct gb_error *err)
{
  mongoc_client_pool_t *pool =
      atomic_load_explicit(&store->pool, memory_order_acquire);
  mongoc_apm_callbacks_t *callbacks;
  bson_error_t error;

  if (pool)
    return pool;
  pthread_mutex_lock(&store->pool_lock);
  pool = atomic_load_explicit(&store->pool, memory_order_relaxed);
  if (pool || !gb_tls_start(err))
    goto done;
  memset(&error, 0, sizeof(error));
  pool = mongoc_client_pool_new_with_error(store->uri, &error);
  if (!pool) {
    /* The driver's reasons here (an SRV lookup, a TLS file) name hosts
     * and files, not credentials. */
    gb_error_set(err, GB_ERR_UNAVAILABLE, (int)error.code, "",
                 "the database client pool could not be created (check "
                 "COSMOS_CONNECTION_STRING's host and TLS options): %s",
                 error.message);
    goto done;
  }
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  callbacks = mongoc_apm_callbacks_new();
  if (callbacks) {
    mongoc_apm_set_command_started_cb(callbacks, on_command_started);
    mongoc_client_pool_set_apm_callbacks(pool, callbacks, NULL);
    mongoc_apm_callbacks_destroy(callbacks);
  }
  if (!mongoc_uri_get_appname(store->uri))
    mongoc_client_pool_set_appname(pool, "gridboard");
  mongoc_client_pool_max_size(pool, store->max_clients);
  atomic_store_explicit(&store->pool, pool, memory_order_release);

done:
  pthread_mutex_unlock(&store->pool_lock);
  return pool;
}

bool gb_store_connect(struct gb_store *store, struct gb_error *err)
{
  return ensure_pool(store, err) != NULL;
}

void gb_store_destroy(struct gb_store *store)
{
  mongoc_client_pool_t *pool;

  if (!store)
    return;
  pool = atomic_load(&store->pool);
  if (pool)
    mongoc_client_pool_destroy(pool);
  mongoc_uri_destroy(store->uri);
  free(store->database);
  pthread_mutex_destroy(&store->setup_lock);
  pthread_mutex_destroy(&store->pool_lock);
  pthread_mutex_destroy(&store->clock_lock);
  pthread_mutex_destroy(&store->board_lock);
  pthread_mutex_destroy(&store->cache_lock);
  free(store->cache);
  free(store->awaited);
  if (store->written)
    gb_board_cleanup(store->written);
  free(store->written);
  gb_tally_memo_cleanup(&store->memo);
  free(store);
}

static void on_driver_log(mongoc_log_level_t level, const char *domain,
                          const char *message, void *user_data)
{
  (void)user_data;
  /* Neither Cosmos DB for MongoDB nor FerretDB has server sessions, so the
   * driver's farewell endSessions always fails, harmlessly. */
  if (level > MONGOC_LOG_LEVEL_WARNING || strstr(message, "endSessions"))
    return;
  gb_log_error("database driver (%s): %s", domain, message);
}

void gb_store_init_driver(void)
{
  mongoc_init();
  mongoc_log_set_handler(on_driver_log, NULL);
}

void gb_store_cleanup_driver(void)
{
  mongoc_cleanup();
}

/* ================ Running operations ================ */

static bool fail_from_driver(struct gb_error *err, const char *what,
                             const bson_error_t *error)
{
  enum gb_db_fault fault = gb_db_classify(error->domain, error->code);
  enum gb_error_kind kind =
      fault == GB_DB_FAULT_PERMANENT ? GB_ERR_DATABASE : GB_ERR_UNAVAILABLE;

  if (error->domain == GB_STORE_ERROR_DOMAIN)
    kind = error->code == GB_STORE_OUT_OF_MEMORY ? GB_ERR_NOMEM
                                                 : GB_ERR_UNAVAILABLE;

  return gb_error_set(err, kind, (int)error->code, "", "%s: %s", what,
                      error->message);
}

static bool create_index(mongoc_database_t *db, const char *collection,
                         const bson_t *index, bson_error_t *error)
{
  bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8(collection), "indexes",
                         "[", BCON_DOCUMENT(index), "]");
  bool ok =
      mongoc_database_write_command_with_opts(db, cmd, NULL, NULL, error);

  bson_destroy(cmd);
  return ok;
}

static bool ensure_indexes(struct gb_store *store, mongoc_database_t *db,
                           bson_error_t *error)
{
  bool ok = true;

  if (atomic_load_explicit(&store->indexes_ready, memory_order_acquire))
    return true;
  pthread_mutex_lock(&store->setup_lock);
  if (!atomic_load_explicit(&store->indexes_ready, memory_order_relaxed)) {
    /* A refresh reads the pending games (k == 0) and the games under the
     * window edges (Timestamp ranges); the top winners of each period are
     * read sorted on exactly these paths (a sort needs a matching compound
     * index on Cosmos DB). */
    bson_t *keys[] = {
        BCON_NEW("key", "{", "Timestamp", BCON_INT32(1), "}", "name",
                 BCON_UTF8("Timestamp_1")),
        BCON_NEW("key", "{", "k", BCON_INT32(1), "}", "name",
                 BCON_UTF8("k_1")),
        BCON_NEW("key", "{", "l", BCON_INT32(1), "n0", BCON_INT32(-1), "w",
                 BCON_INT32(1), "}", "name", BCON_UTF8("ranking_daily")),
        BCON_NEW("key", "{", "l", BCON_INT32(1), "n1", BCON_INT32(-1), "w",
                 BCON_INT32(1), "}", "name", BCON_UTF8("ranking_weekly")),
        BCON_NEW("key", "{", "l", BCON_INT32(1), "n2", BCON_INT32(-1), "w",
                 BCON_INT32(1), "}", "name", BCON_UTF8("ranking_monthly"))};
    const char *collection[] = {GAMES, GAMES, GB_STORE_TALLIES,
                                GB_STORE_TALLIES, GB_STORE_TALLIES};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
      if (ok)
        ok = create_index(db, collection[i], keys[i], error);
      bson_destroy(keys[i]);
    }
    atomic_store_explicit(&store->indexes_ready, ok, memory_order_release);
  }
  pthread_mutex_unlock(&store->setup_lock);
  return ok;
}

bool gb_store_run(struct gb_store *store, const char *what, gb_store_op op,
                  void *ctx, struct gb_error *err)
{
  bson_error_t error;
  long wait_ms;
  int attempt;

  mongoc_client_pool_t *pool = ensure_pool(store, err);

  if (!pool)
    return false;
  for (attempt = 0;; attempt++) {
    mongoc_client_t *client = mongoc_client_pool_pop(pool);
    mongoc_database_t *db;
    bool ok;

    if (!client)
      return gb_error_set(err, GB_ERR_UNAVAILABLE, 0, "",
                          "%s: no database client available", what);
    db = mongoc_client_get_database(client, store->database);
    memset(&error, 0, sizeof(error));
    ok = ensure_indexes(store, db, &error) && op(db, ctx, &error);
    mongoc_database_destroy(db);
    mongoc_client_pool_push(pool, client);
    if (ok)
      return true;
    if (gb_db_classify(error.domain, error.code) != GB_DB_FAULT_THROTTLED ||
        attempt >= THROTTLE_RETRIES)
      return fail_from_driver(err, what, &error);
    wait_ms = gb_db_retry_after_ms(error.message, THROTTLE_DEFAULT_WAIT_MS);
    gb_time_sleep_ms(wait_ms < THROTTLE_WAIT_CAP_MS ? wait_ms
                                                    : THROTTLE_WAIT_CAP_MS);
  }
}

/* ================ Games ================ */

struct put_game_ctx {
  struct gb_store *store;
  const struct gb_game *game;
  enum gb_put_result result;
};

/* Reads a stored game back; false when the document is not one. */
static bool game_from_bson(const bson_t *doc, struct gb_game *game)
{
  bson_iter_t it;
  unsigned seen = 0;

  memset(game, 0, sizeof(*game));
  if (!bson_iter_init(&it, doc))
    return false;
  while (bson_iter_next(&it)) {
    const char *key = bson_iter_key(&it);
    uint32_t len;
    const char *s;

    if (strcmp(key, "_id") == 0 && BSON_ITER_HOLDS_UTF8(&it)) {
      s = bson_iter_utf8(&it, &len);
      snprintf(game->id, sizeof(game->id), "%s", s);
      seen |= 1;
    } else if (strcmp(key, "WinnerEmail") == 0 && BSON_ITER_HOLDS_UTF8(&it)) {
      s = bson_iter_utf8(&it, &len);
      snprintf(game->winner_email, sizeof(game->winner_email), "%s", s);
      seen |= 2;
    } else if (strcmp(key, "RockCount") == 0 && BSON_ITER_HOLDS_INT32(&it)) {
      game->rock_count = bson_iter_int32(&it);
      seen |= 4;
    } else if (strcmp(key, "PaperCount") == 0 && BSON_ITER_HOLDS_INT32(&it)) {
      game->paper_count = bson_iter_int32(&it);
      seen |= 8;
    } else if (strcmp(key, "ScissorsCount") == 0 &&
               BSON_ITER_HOLDS_INT32(&it)) {
      game->scissors_count = bson_iter_int32(&it);
      seen |= 16;
    } else if (strcmp(key, "Timestamp") == 0 &&
               BSON_ITER_HOLDS_DATE_TIME(&it)) {
      game->timestamp_ms = bson_iter_date_time(&it);
      seen |= 32;
    }
  }
  return seen == 63;
}

static bool find_game(mongoc_collection_t *games, const char *id,
                      struct gb_game *stored, bool *found,
                      bson_error_t *error)
{
  bson_t *filter = BCON_NEW("_id", BCON_UTF8(id));
  bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(games, filter, opts, NULL);
  const bson_t *doc;
  bool ok;

  *found = false;
  if (mongoc_cursor_next(cursor, &doc)) {
    *found = true;
    if (!game_from_bson(doc, stored))
      memset(stored, 0, sizeof(*stored)); /* unreadable: never "same" */
  }
  ok = !mongoc_cursor_error(cursor, error);
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  bson_destroy(filter);
  return ok;
}

static bool put_game_op(mongoc_database_t *db, void *vctx,
                        bson_error_t *error)
{
  struct put_game_ctx *ctx = vctx;
  const struct gb_game *g = ctx->game;
  mongoc_collection_t *games = mongoc_database_get_collection(db, GAMES);
  bson_t *doc = BCON_NEW(
      "_id", BCON_UTF8(g->id), "WinnerEmail", BCON_UTF8(g->winner_email),
      "RockCount", BCON_INT32(g->rock_count), "PaperCount",
      BCON_INT32(g->paper_count), "ScissorsCount",
      BCON_INT32(g->scissors_count), "Timestamp",
      BCON_DATE_TIME(g->timestamp_ms), "storedAt",
      BCON_DATE_TIME(gb_time_now_ms()), "k", BCON_INT64(0));
  struct gb_game stored;
  bool ok, found;

  ok = mongoc_collection_insert_one(games, doc, NULL, NULL, error);
  if (ok) {
    ctx->result = GB_PUT_STORED;
  } else if (gb_db_classify(error->domain, error->code) ==
             GB_DB_FAULT_DUPLICATE_KEY) {
    /* The Id is taken: the same game delivered again, or another game. */
    ok = find_game(games, g->id, &stored, &found, error);
    if (ok && !found) {
      /* Deleted between the two calls: let the caller retry. */
      bson_set_error(error, MONGOC_ERROR_STREAM, 0,
                     "game %s vanished during the duplicate check", g->id);
      ok = false;
    } else if (ok) {
      ctx->result =
          gb_game_same(&stored, g) ? GB_PUT_DUPLICATE : GB_PUT_CONFLICT;
    }
  }
  bson_destroy(doc);
  mongoc_collection_destroy(games);
  return ok;
}

bool gb_store_put_game(struct gb_store *store, const struct gb_game *game,
                       enum gb_put_result *result, struct gb_error *err)
{
  struct put_game_ctx ctx = {store, game, GB_PUT_STORED};

  if (!gb_store_run(store, "storing the game", put_game_op, &ctx, err))
    return false;
  *result = ctx.result;
  return true;
}

struct find_clash_ctx {
  const struct gb_game *games;
  size_t count, clash;
};

/* Ids per find: a point read for one game, a bounded `_id $in` for a
 * batch (SendResult takes up to 5,000 games). */
#define CLASH_IDS_PER_FIND 500

static bool find_clash_op(mongoc_database_t *db, void *vctx,
                          bson_error_t *error)
{
  struct find_clash_ctx *ctx = vctx;
  mongoc_collection_t *games = mongoc_database_get_collection(db, GAMES);
  bool ok = true;

  ctx->clash = ctx->count;
  for (size_t from = 0; ok && from < ctx->count; from += CLASH_IDS_PER_FIND) {
    size_t to = from + CLASH_IDS_PER_FIND < ctx->count
                    ? from + CLASH_IDS_PER_FIND
                    : ctx->count;
    bson_t filter = BSON_INITIALIZER, id, in;
    mongoc_cursor_t *cursor;
    const bson_t *doc;
    char key[16];
    const char *k;

    bson_append_document_begin(&filter, "_id", -1, &id);
    bson_append_array_begin(&id, "$in", -1, &in);
    for (size_t i = from; i < to; i++) {
      bson_uint32_to_string((uint32_t)(i - from), &k, key, sizeof(key));
      bson_append_utf8(&in, k, -1, ctx->games[i].id, -1);
    }
    bson_append_array_end(&id, &in);
    bson_append_document_end(&filter, &id);
    cursor = mongoc_collection_find_with_opts(games, &filter, NULL, NULL);
    while (mongoc_cursor_next(cursor, &doc)) {
      struct gb_game stored;

      /* An unreadable stored game is left to GameCompleted to judge. */
      if (!game_from_bson(doc, &stored))
        continue;
      for (size_t i = from; i < to && i < ctx->clash; i++)
        if (strcmp(stored.id, ctx->games[i].id) == 0 &&
            !gb_game_same(&stored, &ctx->games[i]))
          ctx->clash = i;
    }
    ok = !mongoc_cursor_error(cursor, error);
    mongoc_cursor_destroy(cursor);
    bson_destroy(&filter);
  }
  mongoc_collection_destroy(games);
  return ok;
}

bool gb_store_find_clash(struct gb_store *store, const struct gb_game *games,
                         size_t count, size_t *clash, struct gb_error *err)
{
  struct find_clash_ctx ctx = {games, count, count};

  if (!gb_store_run(store, "reading the games' Ids", find_clash_op, &ctx,
                    err))
    return false;
  *clash = ctx.clash;
  return true;
}

/* ================ Leaderboards ================ */

static bson_t *window_match(const struct gb_leaderboard *lb)
{
  return BCON_NEW("$match", "{", "Timestamp", "{", "$gte",
                  BCON_DATE_TIME(lb->window_start_ms), "$lte",
                  BCON_DATE_TIME(lb->window_end_ms), "}", "}");
}

/* An aggregation's numeric result, whatever integer or double type the
 * server chose for a $sum. */
bool gb_store_read_count(const bson_iter_t *it, int64_t *out)
{
  if (BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it)) {
    *out = bson_iter_as_int64(it);
  } else if (BSON_ITER_HOLDS_DOUBLE(it)) {
    double v = bson_iter_double(it);
    if (!(v >= 0 && v <= 9.0e15) || v != (double)(int64_t)v)
      return false;
    *out = (int64_t)v;
  } else {
    return false;
  }
  return *out >= 0;
}

bool gb_store_bad_reply(bson_error_t *error, const char *what)
{
  bson_set_error(error, MONGOC_ERROR_PROTOCOL,
                 MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                 "unexpected %s in the database's reply", what);
  return false;
}

static bool aggregate_winners(mongoc_collection_t *games,
                              struct gb_leaderboard *lb, bson_error_t *error)
{
  bson_t *match = window_match(lb);
  bson_t *pipeline = BCON_NEW(
      "pipeline", "[", BCON_DOCUMENT(match), "{", "$group", "{", "_id",
      BCON_UTF8("$WinnerEmail"), "wins", "{", "$sum", BCON_INT32(1), "}", "}",
      "}", "{", "$sort", "{", "wins", BCON_INT32(-1), "_id", BCON_INT32(1),
      "}", "}", "{", "$limit", BCON_INT32(GB_LEADERBOARD_TOP), "}", "]");
  mongoc_cursor_t *cursor = mongoc_collection_aggregate(
      games, MONGOC_QUERY_NONE, pipeline, NULL, NULL);
  const bson_t *doc;
  bool ok = true;

  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    const char *email = NULL;
    uint32_t len = 0;
    int64_t wins = -1;

    if (!bson_iter_init(&it, doc))
      break;
    while (bson_iter_next(&it)) {
      if (strcmp(bson_iter_key(&it), "_id") == 0 && BSON_ITER_HOLDS_UTF8(&it))
        email = bson_iter_utf8(&it, &len);
      else if (strcmp(bson_iter_key(&it), "wins") == 0 &&
               !gb_store_read_count(&it, &wins))
        wins = -1;
    }
    if (!email || len == 0 || len > GB_EMAIL_MAX || wins < 1 ||
        lb->winner_count >= GB_LEADERBOARD_TOP)
      ok = gb_store_bad_reply(error, "winner entry");
    else
      gb_leaderboard_offer(lb, email, wins);
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(pipeline);
  bson_destroy(match);
  return ok;
}

bool gb_store_sum(mongoc_collection_t *games, const bson_t *match,
                  const char *field, int64_t *total, bson_error_t *error)
{
  bson_t *pipeline =
      field ? BCON_NEW("pipeline", "[", BCON_DOCUMENT(match), "{", "$group",
                       "{", "_id", BCON_NULL, "total", "{", "$sum",
                       BCON_UTF8(field), "}", "}", "}", "]")
            : BCON_NEW("pipeline", "[", BCON_DOCUMENT(match), "{", "$group",
                       "{", "_id", BCON_NULL, "total", "{", "$sum",
                       BCON_INT32(1), "}", "}", "}", "]");
  mongoc_cursor_t *cursor = mongoc_collection_aggregate(
      games, MONGOC_QUERY_NONE, pipeline, NULL, NULL);
  const bson_t *doc;
  bool ok = true, seen = false;

  *total = 0; /* no games matched: no group at all */
  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;

    if (seen || !bson_iter_init_find(&it, doc, "total") ||
        !gb_store_read_count(&it, total))
      ok = gb_store_bad_reply(error, "total");
    seen = true;
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(pipeline);
  return ok;
}

static bool aggregate_sum(mongoc_collection_t *games,
                          const struct gb_leaderboard *lb, const char *field,
                          int64_t *total, bson_error_t *error)
{
  bson_t *match = window_match(lb);
  bool ok = gb_store_sum(games, match, field, total, error);

  bson_destroy(match);
  return ok;
}

static bool aggregate_totals(mongoc_collection_t *games,
                             struct gb_leaderboard *lb, bson_error_t *error)
{
  return aggregate_sum(games, lb, NULL, &lb->games, error) &&
         aggregate_sum(games, lb, "$RockCount", &lb->rock_count, error) &&
         aggregate_sum(games, lb, "$PaperCount", &lb->paper_count, error) &&
         aggregate_sum(games, lb, "$ScissorsCount", &lb->scissors_count,
                       error);
}

struct recompute_ctx {
  int64_t now_ms;
  struct gb_leaderboard boards[GB_PERIOD_COUNT];
};

static bool recompute_op(mongoc_database_t *db, void *vctx,
                         bson_error_t *error)
{
  struct recompute_ctx *ctx = vctx;
  mongoc_collection_t *games = mongoc_database_get_collection(db, GAMES);
  bool ok = true;

  for (int p = 0; ok && p < GB_PERIOD_COUNT; p++) {
    gb_leaderboard_init(&ctx->boards[p], (enum gb_period)p, ctx->now_ms);
    ok = aggregate_winners(games, &ctx->boards[p], error) &&
         aggregate_totals(games, &ctx->boards[p], error);
  }
  mongoc_collection_destroy(games);
  return ok;
}

bool gb_store_recompute_leaderboards(struct gb_store *store, int64_t now_ms,
                                     struct gb_leaderboard *boards,
                                     struct gb_error *err)
{
  struct recompute_ctx *ctx = calloc(1, sizeof(*ctx));
  bool ok;

  if (!ctx)
    return gb_error_nomem(err);
  ctx->now_ms = now_ms;
  ok = gb_store_run(store, "recomputing the leaderboards", recompute_op, ctx,
                    err);
  if (ok)
    memcpy(boards, ctx->boards, sizeof(ctx->boards));
  free(ctx);
  return ok;
}

int64_t gb_store_next_started_us(struct gb_store *store)
{
  struct timespec ts;
  int64_t now;

  clock_gettime(CLOCK_REALTIME, &ts);
  now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
  pthread_mutex_lock(&store->clock_lock);
  if (now <= store->last_started_us)
    now = store->last_started_us + 1;
  store->last_started_us = now;
  pthread_mutex_unlock(&store->clock_lock);
  return now;
}

/* ================ Rejections ================ */

struct rejection_ctx {
  bson_t *filter;
  bson_t *update;
};

static bool rejection_op(mongoc_database_t *db, void *vctx,
                         bson_error_t *error)
{
  struct rejection_ctx *ctx = vctx;
  mongoc_collection_t *rejected =
      mongoc_database_get_collection(db, REJECTED);
  bson_t *upsert = BCON_NEW("upsert", BCON_BOOL(true));
  bool ok = mongoc_collection_update_one(rejected, ctx->filter, ctx->update,
                                         upsert, NULL, error);

  /* Two deliveries racing to create the record: the loser's upsert hits
   * 11000 and is re-issued once as a plain update of the winner's record. */
  if (!ok &&
      gb_db_classify(error->domain, error->code) == GB_DB_FAULT_DUPLICATE_KEY)
    ok = mongoc_collection_update_one(rejected, ctx->filter, ctx->update,
                                      NULL, NULL, error);
  bson_destroy(upsert);
  mongoc_collection_destroy(rejected);
  return ok;
}

static void append_text(bson_t *doc, const char *key, const char *value,
                        size_t max)
{
  char *clean;

  if (!value) {
    BSON_APPEND_NULL(doc, key);
    return;
  }
  clean = malloc(max + 1);
  if (!clean) {
    BSON_APPEND_NULL(doc, key);
    return;
  }
  gb_text_sanitize(clean, max + 1, value, strlen(value));
  BSON_APPEND_UTF8(doc, key, clean);
  free(clean);
}

bool gb_store_record_rejection(struct gb_store *store,
                               const struct gb_rejection *rej, int64_t now_ms,
                               struct gb_error *err)
{
  struct rejection_ctx ctx;
  bson_t set, on_insert, inc;
  char event_id[TEXT_MAX + 1], key[TEXT_MAX + 32];
  bool ok;

  /* Keyed by kind and event id so a redelivery updates one record; an event
   * without a usable id gets a fresh ObjectId each time. */
  ctx.filter = bson_new();
  if (rej->event_id && *rej->event_id && strlen(rej->event_id) <= 128) {
    gb_text_sanitize(event_id, sizeof(event_id), rej->event_id,
                     strlen(rej->event_id));
    snprintf(key, sizeof(key), "%s:%s", rej->kind, event_id);
    BSON_APPEND_UTF8(ctx.filter, "_id", key);
  } else {
    bson_oid_t oid;
    bson_oid_init(&oid, NULL);
    BSON_APPEND_OID(ctx.filter, "_id", &oid);
  }

  ctx.update = bson_new();
  bson_append_document_begin(ctx.update, "$set", -1, &set);
  BSON_APPEND_UTF8(&set, "kind", rej->kind);
  append_text(&set, "reason", rej->reason, TEXT_MAX);
  append_text(&set, "field", rej->field, TEXT_MAX);
  append_text(&set, "eventId", rej->event_id, TEXT_MAX);
  append_text(&set, "gameId", rej->game_id, TEXT_MAX);
  append_text(&set, "raw", rej->raw, RAW_EVENT_MAX);
  BSON_APPEND_DATE_TIME(&set, "lastSeenAt", now_ms);
  bson_append_document_end(ctx.update, &set);
  bson_append_document_begin(ctx.update, "$setOnInsert", -1, &on_insert);
  BSON_APPEND_DATE_TIME(&on_insert, "firstSeenAt", now_ms);
  bson_append_document_end(ctx.update, &on_insert);
  bson_append_document_begin(ctx.update, "$inc", -1, &inc);
  BSON_APPEND_INT32(&inc, "deliveries", 1);
  bson_append_document_end(ctx.update, &inc);

  ok = gb_store_run(store, "recording the rejected event", rejection_op, &ctx,
                    err);
  bson_destroy(ctx.update);
  bson_destroy(ctx.filter);
  return ok;
}
