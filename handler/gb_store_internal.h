/* gb_store_internal: what the store's source files share. Not for use
 * outside gb_store*.c. */
#ifndef GB_STORE_INTERNAL_H
#define GB_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

#include "gb_game.h"
#include "gb_leaderboard.h"
#include "gb_store.h"

#define GB_LEDGER_LOCKS 16

#define GB_STORE_LEDGER "ledger"
#define GB_STORE_VIEWS "views"
#define GB_STORE_TALLIES "tallies"

struct gb_store {
  mongoc_uri_t *uri;
  mongoc_client_pool_t *pool;
  char *database;
  long ttl_seconds;
  /* Index set-up runs once, on the first call that reaches the server, so
   * that start-up does not depend on the database being up. */
  pthread_mutex_t setup_lock;
  bool indexes_ready;
  /* Advances of the view, with their tally and leaderboard writes, are
   * serialized within the process, and a leaderboard computed from an
   * earlier start than the last saved is not saved: FerretDB's updates are
   * read-then-write, so two guarded writes racing could otherwise both
   * match and the older land last. Across processes the view's version
   * and the computedAtMicros guard decide. */
  pthread_mutex_t views_lock;
  int64_t saved_started_us[GB_PERIOD_COUNT];
  /* The view version whose tally writes this process completed, so that
   * the next advance need not re-issue them. */
  char applied_lineage[33];
  int64_t applied_version;
  /* Group commit: the ledger hours of games appended but not yet taken
   * into the view, and tickets. A refresh adds its games' hours and takes
   * a ticket; the one that next holds views_lock reads every waiting hour,
   * so the refreshes queued behind it find their ticket covered and are
   * done without a round trip. */
  pthread_mutex_t dirty_lock;
  int64_t *dirty_hours;
  size_t dirty_count, dirty_cap;
  uint64_t dirty_ticket;   /* last ticket handed out */
  uint64_t covered_ticket; /* under views_lock: tickets up to it are in */
  /* Appends to one ledger bucket are serialized within the process for
   * the same reason (FerretDB would lose one of two racing $push). */
  pthread_mutex_t ledger_lock[GB_LEDGER_LOCKS];
  /* Start stamps of refreshes: wall-clock microseconds, but strictly
   * increasing within the process even if the clock steps back. */
  pthread_mutex_t clock_lock;
  int64_t last_started_us;
};
/* One unit of database work on a popped client. Returns false with error
 * filled on a driver or server failure; ctx carries inputs and results. */
typedef bool (*gb_store_op)(mongoc_database_t *db, void *ctx,
                            bson_error_t *error);

/* Runs op on a pooled client (indexes set up first), retrying throttled
 * attempts in place; fills err from the driver's error. */
bool gb_store_run(struct gb_store *store, const char *what, gb_store_op op,
                  void *ctx, struct gb_error *err);

/* Fills error for a reply that is not what gridboard wrote; returns false. */
bool gb_store_bad_reply(bson_error_t *error, const char *what);

/* A stored non-negative integer, whatever integer or double type the
 * server chose. */
bool gb_store_read_count(const bson_iter_t *it, int64_t *out);

/* Saves lb into `stats` unless the stored one was computed from a later
 * start (started_us). */
bool gb_store_save_leaderboard(mongoc_collection_t *stats,
                               const struct gb_leaderboard *lb,
                               int64_t started_us, int64_t expires_ms,
                               bson_error_t *error);

/* Wall-clock microseconds, strictly increasing within the process. */
int64_t gb_store_next_started_us(struct gb_store *store);

/* Appends the game to its ledger bucket unless it is there already. */
bool gb_store_ledger_append(struct gb_store *store, mongoc_database_t *db,
                            const struct gb_game *game, bson_error_t *error);

#endif
