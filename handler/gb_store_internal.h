/* gb_store_internal: what the store's source files share. Not for use
 * outside gb_store*.c. */
#ifndef GB_STORE_INTERNAL_H
#define GB_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

#include "gb_board.h"
#include "gb_game.h"
#include "gb_leaderboard.h"
#include "gb_store.h"
#include "gb_tally_memo.h"

#define GB_STORE_GAMES "games"
#define GB_STORE_BOARDS "boards"
#define GB_STORE_TALLIES "tallies"
#define GB_STORE_AWAITED_MAX 512

/* A caller of gb_store_sync and its game ("" for every pending game). */
struct gb_awaited {
  uint64_t ticket;
  char id[GB_GAME_ID_MAX + 1];
};

struct gb_store {
  mongoc_uri_t *uri;
  /* Created on first use (ensure_pool in gb_store.c), under pool_lock, and
   * then only read: published with release, read with acquire. */
  _Atomic(mongoc_client_pool_t *) pool;
  pthread_mutex_t pool_lock;
  uint32_t max_clients;
  char *database;
  long ttl_seconds;
  long refresh_interval_ms;
  /* Index set-up runs once, on the first call that reaches the server, so
   * that start-up does not depend on the database being up; once done, it
   * is known without the lock (as the pool is). */
  pthread_mutex_t setup_lock;
  atomic_bool indexes_ready;
  /* Refreshes are serialized within the process (FerretDB's updates are
   * read-then-write: one writer per document, databases.md rule 16), and
   * the games stored while one runs wait for the next: group commit.
   * Across processes the board's sequence number decides
   * (docs/internals/leaderboards.md). */
  pthread_mutex_t board_lock;
  uint64_t tickets;        /* under board_lock: last ticket handed out */
  uint64_t covered_ticket; /* tickets up to it are taken in */
  int64_t last_refresh_ms; /* when this process last wrote a board */
  int64_t paced_until_ms;  /* another instance's board is left until */
  int64_t probe_until_ms;  /* paced turns look at the board's Ids first */
  int64_t others_seen_until_ms; /* another instance wrote lately */
  bool sync_backlog;            /* more pending than one refresh took */
  /* Under board_lock: the games the waiting callers wait for, in ticket
   * order (docs/internals/leaderboards.md, "Pacing"); overflow: callers
   * beyond the list, answered only once nothing is pending at all. */
  struct gb_awaited *awaited;
  size_t awaited_count;
  bool awaited_overflow;
  char applied_lineage[33]; /* the board whose marks and tallies this */
  int64_t applied_seq;      /* process wrote completely */
  /* Under board_lock, what lets a refresh skip reads
   * (docs/internals/leaderboards.md, "Reads a refresh can skip"): the
   * board this process wrote last, with its journal (trusted: no other
   * writer was seen since, so a refresh starts from it without reading;
   * the compare-and-set catches it being stale), the refreshes since this
   * process last wrote a journal out, and the tally values it knows. */
  struct gb_board *written;
  bool written_trusted;
  int deferred_journals;
  struct gb_tally_memo memo;
  /* The board as this process last read or wrote it, for reads within
   * cache_ms (0: off), without take and plan. */
  pthread_mutex_t cache_lock;
  long cache_ms;
  bool cached;
  int64_t cached_at_ms; /* monotonic clock */
  struct gb_board *cache;
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

/* Errors the store raises itself, in their own bson_error_t domain so
 * that they are reported as what they are. */
#define GB_STORE_ERROR_DOMAIN 0x67620000u
enum gb_store_error_code {
  GB_STORE_OUT_OF_MEMORY = 1, /* reported as GB_ERR_NOMEM */
  GB_STORE_CONTENDED = 2,     /* the board kept changing: retryable */
  /* A list past its hard maximum: retryable, as edges too crowded are
   * (the windows move on). */
  GB_STORE_TOO_MANY = 3
};
bool gb_store_out_of_memory(bson_error_t *error);

/* Fills error for a reply that is not what gridboard wrote; returns false. */
bool gb_store_bad_reply(bson_error_t *error, const char *what);

/* A stored non-negative integer, whatever integer or double type the
 * server chose. */
bool gb_store_read_count(const bson_iter_t *it, int64_t *out);

/* Sums field ("$RockCount"), or 1 per game when field is NULL, over the
 * games that match ({"$match":…}). One accumulator per $group on purpose:
 * FerretDB v1.24.2 feeds every accumulator of a $group from one shared
 * iterator, so all but the first come out as 0. */
bool gb_store_sum(mongoc_collection_t *games, const bson_t *match,
                  const char *field, int64_t *total, bson_error_t *error);

/* Wall-clock microseconds, strictly increasing within the process. */
int64_t gb_store_next_started_us(struct gb_store *store);

#endif
