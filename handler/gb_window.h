/* gb_window: the leaderboards maintained incrementally, as pure state.
 *
 * Every stored game is also appended, once, to the ledger bucket of its
 * UTC hour (an append-only list: the bucket's own write both checks and
 * records the game's Id, so a redelivery appends nothing). The view is the
 * state of all three leaderboards:
 *   - one cursor per ledger hour: the first `applied` entries of that
 *     bucket are taken into account;
 *   - per period, the window start it was computed for, and the sums of
 *     games and moves; a common window end.
 * An entry counts in a period when its index is below its bucket's cursor
 * and its Timestamp lies in [start, end]. Per-winner win counts (tallies)
 * live in their own documents and change by the deltas an advance reports.
 *
 * Advancing the view to a new "now" only reads the buckets whose entries
 * can change status: buckets with new entries (the caller names their
 * hours) and the buckets under a moving window edge. The work per event is
 * therefore bounded by the traffic of a few hours, whatever the history,
 * and the result equals a recomputation from every stored game. */
#ifndef GB_WINDOW_H
#define GB_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_game.h"
#include "gb_leaderboard.h"
#include "gb_time.h"

#define GB_HOUR_MS INT64_C(3600000)
/* Cursors are kept this long before the Monthly window's start: the
 * AddMonths clamp moves that start back by up to three days as time goes
 * on (now = Mar 29 09:00 starts at Feb 28 09:00, before the start for
 * Mar 28 11:00), and those games must come back. */
#define GB_WINDOW_RETAIN_MS (4 * GB_MS_PER_DAY)

struct gb_entry {
  char id[GB_GAME_ID_MAX + 1];
  char winner[GB_EMAIL_MAX + 1];
  int64_t timestamp_ms;
  int32_t rock, paper, scissors;
};

/* A ledger bucket as read: its entries in append order. */
struct gb_bucket {
  int64_t hour_ms;
  size_t count;
  struct gb_entry *entries; /* owned */
};

struct gb_cursor {
  int64_t hour_ms;
  int64_t applied;
};

struct gb_period_sums {
  int64_t start_ms;
  int64_t games, rock, paper, scissors;
};

struct gb_view {
  char lineage[33]; /* set when first stored; names its tallies */
  int64_t version;  /* 0: not stored yet */
  int64_t end_ms;
  struct gb_period_sums periods[GB_PERIOD_COUNT];
  size_t cursor_count, cursor_cap;
  struct gb_cursor *cursors; /* owned, ascending hour_ms */
};

/* One winner's win count moving in one period. */
struct gb_change {
  enum gb_period period;
  const char *winner; /* points into a bucket's entries */
  int64_t delta;
};

struct gb_changes {
  size_t count, cap;
  struct gb_change *items; /* owned; one per (period, winner) after
                              gb_changes_merge */
};

/* The hour (its first millisecond) a Timestamp's bucket covers. */
int64_t gb_hour_of(int64_t timestamp_ms);

/* A view never stored: nothing counted yet, its windows empty and about
 * to end at now_ms. */
void gb_view_init(struct gb_view *view, int64_t now_ms);
void gb_view_cleanup(struct gb_view *view);
/* Appends a cursor while reading a stored view; false on allocation
 * failure or when hours are not strictly ascending. */
bool gb_view_add_cursor(struct gb_view *view, int64_t hour_ms,
                        int64_t applied);

void gb_bucket_cleanup(struct gb_bucket *bucket);

/* The ledger hours an advance of view to now_ms must read, ascending and
 * unique, into *hours (malloc'd; free it): the hours of new_game_times
 * (Timestamps of games appended since the view last saw their buckets) and
 * every cursor hour under a window edge that moves. False on allocation
 * failure. */
bool gb_view_hours_to_read(const struct gb_view *view, int64_t now_ms,
                           const int64_t *new_game_times, size_t new_games,
                           int64_t **hours, size_t *hour_count);

/* Advances view to the windows ending at now_ms, taking every entry of the
 * given buckets into account (their cursors move to their ends). buckets
 * must cover gb_view_hours_to_read's hours (more is fine). Fills *next (a
 * new view, version view->version + 1) and *changes (merged: one per
 * period and winner, non-zero deltas only, pointing into buckets). Returns
 * false with *problem set when the inputs contradict each other (a bucket
 * shorter than its cursor, a sum going negative: stored data that is not
 * what this module wrote) or on allocation failure. */
bool gb_view_advance(const struct gb_view *view, int64_t now_ms,
                     const struct gb_bucket *buckets, size_t bucket_count,
                     struct gb_view *next, struct gb_changes *changes,
                     const char **problem);

void gb_changes_cleanup(struct gb_changes *changes);

/* The first ledger hour the view can still need: buckets of earlier hours
 * hold only games no window will count again. */
int64_t gb_view_ledger_horizon(const struct gb_view *view);

/* The leaderboard of period as the view holds it, winners left empty (they
 * come from the tallies). */
void gb_view_board(const struct gb_view *view, enum gb_period period,
                   struct gb_leaderboard *lb);

#endif
