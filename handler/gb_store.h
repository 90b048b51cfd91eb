/* gb_store: the leaderboard store on a MongoDB-wire database (Cosmos DB for
 * MongoDB in Azure, FerretDB locally), through a libmongoc client pool.
 *
 * Thread-safe: every call pops a client for its database work only and
 * pushes it back on every path. Nothing here knows which server is behind
 * the URI; only features both servers support are used
 * (contracts/databases.md), and each logical change is one single-document
 * write, because neither server offers usable transactions.
 *
 * Collections:
 *   games     {_id: game Id, WinnerEmail, RockCount, PaperCount,
 *              ScissorsCount, Timestamp: date, storedAt: date}
 *   stats     {_id: "Daily"|"Weekly"|"Monthly", period, winners[], moves[],
 *              games, windowStart, windowEnd, computedAt, computedAtMicros,
 *              expiresAt: date}
 *   rejected  {_id: "<kind>:<event id>", kind, reason, field, eventId,
 *              gameId, raw, firstSeenAt, lastSeenAt, deliveries}
 *   ledger_YYYYMMDD (one per UTC day)
 *             {_id: "<hour, Unix ms>", n, ids: [game Id], e: [{i: Id,
 *              w: WinnerEmail, t: Timestamp, r, p, s}]}: each stored game
 *              once, in its UTC hour's bucket (gb_window.h)
 *   views     {_id: "leaderboards", l: lineage, v: version, end,
 *              periods: [{p, start, games, rock, paper, scissors}],
 *              cursors: [{h, k}], pending: [{p, w, n}]}
 *   tallies   {_id: "<lineage>:<period index>:<email>", l, p, w, n: wins,
 *              v: view version} */
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

/* Creates the pool for connection_string (a mongodb:// URI). Unless the URI
 * sets them, retryWrites is turned off (Cosmos DB supports retryable
 * writes only with a capability) and the time-outs are shortened so that an
 * outage fails an invocation in seconds. Does not connect. On failure
 * returns NULL with err (GB_ERR_CONFIG naming COSMOS_CONNECTION_STRING,
 * the string itself never quoted). max_clients bounds the pool; saved
 * leaderboards expire ttl_seconds after they are written. */
struct gb_store *gb_store_new(const char *connection_string,
                              const char *database, int max_clients,
                              long ttl_seconds, struct gb_error *err);

/* How many database commands (round trips) the calling thread has sent
 * through any store so far. */
uint64_t gb_store_thread_commands(void);

/* Closes the pool. Only once no other thread uses the store. NULL is ok. */
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

/* Brings the Daily, Weekly and Monthly leaderboards to the windows ending
 * at now_ms and saves each into `stats` with the store's expiry. The work
 * is incremental (gb_window.h): new_game_times are the Timestamps of the
 * games this caller stored since its last refresh (NULL, 0 for none); the
 * moving window edges are found from the view. The result equals
 * gb_store_recompute_leaderboards at the same now_ms. A save never
 * replaces a leaderboard computed from a later start, so concurrent
 * refreshes leave the newest one. boards may be NULL; otherwise it receives
 * the three leaderboards, indexed by enum gb_period. */
bool gb_store_refresh_leaderboards(struct gb_store *store, int64_t now_ms,
                                   const int64_t *new_game_times,
                                   size_t new_games,
                                   struct gb_leaderboard *boards,
                                   struct gb_error *err);

/* The three leaderboards for the windows ending at now_ms computed from
 * every stored game by server-side aggregation, saving nothing: the
 * reference the incremental ones are checked against. Its cost grows with
 * the games in the window. */
bool gb_store_recompute_leaderboards(struct gb_store *store, int64_t now_ms,
                                     struct gb_leaderboard *boards,
                                     struct gb_error *err);

/* Reads the saved leaderboard of period into *board. *found is false when
 * there is none, when it expired before now_ms (servers without TTL
 * indexes keep expired documents), or when the document is not a
 * well-formed leaderboard, so that the caller recomputes. */
bool gb_store_read_leaderboard(struct gb_store *store, enum gb_period period,
                               int64_t now_ms, struct gb_leaderboard *board,
                               bool *found, struct gb_error *err);

struct gb_rejection {
  const char *kind;     /* "invalid" or "conflict" */
  const char *event_id; /* may be NULL */
  const char *game_id;  /* may be NULL */
  const char *field;    /* may be NULL */
  const char *reason;
  const char *raw;      /* the event as received, may be NULL */
};

/* Records an event that was kept out, once per kind and event id (a
 * redelivery bumps `deliveries`). Text is stored sanitized and truncated. */
bool gb_store_record_rejection(struct gb_store *store,
                               const struct gb_rejection *rejection,
                               int64_t now_ms, struct gb_error *err);

#endif
