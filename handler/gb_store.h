/* gb_store: the leaderboard store on a MongoDB-wire database (Cosmos DB for
 * MongoDB in Azure; FerretDB and mongo-java-server locally), through a
 * libmongoc client pool.
 *
 * Thread-safe: every call pops a client for its database work only and
 * pushes it back on every path. Nothing here knows which server is behind
 * the URI; only features all of them support are used
 * (contracts/databases.md), and each logical change is one single-document
 * write, because none offers usable transactions. How the leaderboards
 * stay exact across instances and crashes: docs/internals/leaderboards.md.
 *
 * Collections:
 *   games     {_id: game Id, WinnerEmail, RockCount, PaperCount,
 *              ScissorsCount, Timestamp: date, storedAt: date,
 *              k: 0 until a board took the game in, then that board's seq}
 *   boards    {_id: "leaderboards", l: lineage, s: seq, at: stamp (us),
 *              end: date, p0/p1/p2: {start, g, r, pa, sc, more,
 *              top: [{w, n}]}, take: [game Id], plan: [{w, n0?, n1?, n2?}]}
 *   tallies   {_id: "<lineage>:<email>", l, w, n0, n1, n2: wins per period,
 *              v: seq of the board that wrote it}
 *   rejected  {_id: "<kind>:<event id>", kind, reason, field, eventId,
 *              gameId, raw, firstSeenAt, lastSeenAt, deliveries} */
#ifndef GB_STORE_H
#define GB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_error.h"
#include "gb_game.h"
#include "gb_leaderboard.h"

struct gb_store;

/* Process-wide driver set-up and tear-down: call once from main, before
 * any thread uses a store and after the last one is done. The driver's
 * own warnings go to the handler's error log. */
void gb_store_init_driver(void);
void gb_store_cleanup_driver(void);

/* A store for connection_string (a mongodb:// or mongodb+srv:// URI),
 * checked here. Unless the URI sets them, retryWrites is turned off
 * (Cosmos DB supports retryable writes only with a capability) and the
 * time-outs are shortened so that an outage fails an invocation in
 * seconds. Neither connects nor creates the client pool (no TLS, no DNS):
 * gb_store_connect or the first operation does. On failure returns NULL
 * with err (GB_ERR_CONFIG naming COSMOS_CONNECTION_STRING, the string
 * itself never quoted). max_clients bounds the pool; saved leaderboards
 * are refreshed by a reader ttl_seconds after their window end. */
struct gb_store *gb_store_new(const char *connection_string,
                              const char *database, int max_clients,
                              long ttl_seconds, struct gb_error *err);

/* Creates the client pool unless it exists (gb_tls_start first; for a
 * mongodb+srv URI the SRV and TXT lookups), without a database command.
 * Every operation does the same first, so this is a warm-up. A failure is
 * GB_ERR_UNAVAILABLE and the next call tries again. Thread-safe. */
bool gb_store_connect(struct gb_store *store, struct gb_error *err);

/* How many database commands (round trips) the calling thread has sent
 * through any store so far. */
uint64_t gb_store_thread_commands(void);

/* Closes the pool, if any. Only once no other thread uses the store. NULL is
 * ok. */
void gb_store_destroy(struct gb_store *store);

enum gb_put_result {
  GB_PUT_STORED,    /* new game, now stored */
  GB_PUT_DUPLICATE, /* the same game was stored before: nothing changed */
  GB_PUT_CONFLICT   /* another game with this Id is stored: kept out */
};

/* Stores a validated game under _id = game Id. A failure a retry can fix
 * is GB_ERR_UNAVAILABLE. */
bool gb_store_put_game(struct gb_store *store, const struct gb_game *game,
                       enum gb_put_result *result, struct gb_error *err);

/* Point reads of the games' Ids: *clash is the index of the first game
 * whose Id is stored with different content, or count when there is none.
 * A failure a retry can fix is GB_ERR_UNAVAILABLE. */
bool gb_store_find_clash(struct gb_store *store, const struct gb_game *games,
                         size_t count, size_t *clash, struct gb_error *err);

/* The least time between two refreshes of one process, unless set: games
 * stored meanwhile are taken in together. */
#define GB_STORE_REFRESH_INTERVAL_MS 1000

void gb_store_set_refresh_interval_ms(struct gb_store *store, long ms);

/* How long a read may answer from the board this process last read or
 * wrote, without a round trip (0: always read). */
void gb_store_set_cache_ms(struct gb_store *store, long ms);

/* One refresh: takes in the games stored and not yet counted (up to a
 * bound per refresh, the rest stay pending) and moves the Daily, Weekly
 * and Monthly windows to end at now_ms (never back). With nothing pending
 * and a board ending less than the refresh interval before now_ms, it
 * writes nothing and answers that board. The result equals
 * gb_store_recompute_leaderboards at the same now_ms once nothing is
 * pending. boards may be NULL; otherwise it receives the three
 * leaderboards, indexed by enum gb_period. */
bool gb_store_refresh_leaderboards(struct gb_store *store, int64_t now_ms,
                                   struct gb_leaderboard *boards,
                                   struct gb_error *err);

/* Returns once every game this process stored before the call is taken
 * into the leaderboards, by this process or another: waits for the next
 * refresh slot (at most one refresh per interval per process), then
 * refreshes unless another instance already took the awaited games in, or
 * wrote the board less than an interval ago (pacing across instances,
 * docs/internals/leaderboards.md). game_id is the caller's game, or NULL
 * when it waits for everything pending. */
bool gb_store_sync(struct gb_store *store, const char *game_id,
                   struct gb_error *err);

/* gb_store_sync's decisions on a caller's clock, without sleeping, for a
 * simulated clock (bench/store_cost.c): gb_store_await lists a game to
 * wait for (NULL: every pending game), and each gb_store_sync_at is one
 * turn at now_ms. *answered says how many listed games, oldest first, are
 * now taken in; *again_ms is 0 once all are, else when to call again. */
void gb_store_await(struct gb_store *store, const char *game_id);
bool gb_store_sync_at(struct gb_store *store, int64_t now_ms,
                      int64_t *again_ms, size_t *answered,
                      struct gb_error *err);

/* The three leaderboards for the windows ending at now_ms computed from
 * every stored game by server-side aggregation, saving nothing: the
 * reference the incremental ones are checked against. Its cost grows with
 * the games in the window. */
bool gb_store_recompute_leaderboards(struct gb_store *store, int64_t now_ms,
                                     struct gb_leaderboard *boards,
                                     struct gb_error *err);

/* Reads the saved leaderboard of period into *board: one point read of
 * the board. *found is false when there is none or when its window end is
 * more than the TTL before now_ms, so that the caller refreshes.
 * *from_memory says the process's copy answered (gb_store_set_cache_ms).
 * A stored
 * board that is not well-formed is an error. */
bool gb_store_read_leaderboard(struct gb_store *store, enum gb_period period,
                               int64_t now_ms, struct gb_leaderboard *board,
                               bool *found, bool *from_memory,
                               struct gb_error *err);

struct gb_rejection {
  const char *kind;     /* "invalid" or "conflict" */
  const char *event_id; /* may be NULL */
  const char *game_id;  /* may be NULL */
  const char *field;    /* may be NULL */
  const char *reason;
  const char *raw; /* the event as received, may be NULL */
};

/* Records an event that was kept out, once per kind and event id (a
 * redelivery bumps `deliveries`). Text is stored sanitized and truncated. */
bool gb_store_record_rejection(struct gb_store *store,
                               const struct gb_rejection *rejection,
                               int64_t now_ms, struct gb_error *err);

#endif
