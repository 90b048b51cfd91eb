/* gb_board: the saved leaderboards as pure state, and one refresh step.
 *
 * The protocol (who writes what, and the invariants that make every game
 * count exactly once across instances and crashes) is written down in
 * docs/internals/leaderboards.md; the numbers I1..I7 below refer to it.
 *
 * The board is one small document: per period the window start, the sums
 * of games and moves and the top of the ranking; the common window end;
 * the games this board's write took in (`take`, until they are marked) and
 * the tally values it set (`plan`, until they are confirmed written). A
 * refresh reads the board, the pending games and the games under the
 * moving window edges, computes the next board here, and replaces the
 * board if its sequence number is unchanged. No database code here. */
#ifndef GB_BOARD_H
#define GB_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_dynbuf.h"
#include "gb_game.h"
#include "gb_leaderboard.h"

/* Ranked winners kept per period: the top 10 served plus a margin, so
 * that winners dropping out of the top are usually replaced without a
 * read of the tallies. */
#define GB_BOARD_TOP 16
/* Bounds per refresh, which bound the board document (well under 256 KB:
 * 200 Ids and 2,000 tally entries, about 110 KB at most). A refresh that
 * would exceed them takes fewer games in or moves its window end less far;
 * the next one goes on. */
#define GB_BOARD_TAKE_MAX 200
#define GB_BOARD_PLAN_MAX 2000
#define GB_BOARD_EDGE_MAX 20000
/* Edge ranges a refresh reads: one per moving window start, and the end. */
#define GB_BOARD_RANGES (GB_PERIOD_COUNT + 1)

struct gb_ranked {
  char winner[GB_EMAIL_MAX + 1];
  int64_t wins;
};

struct gb_board_period {
  int64_t start_ms;
  int64_t games, rock, paper, scissors;
  bool more; /* winners with wins may exist beyond top[] (I6) */
  size_t top_count;
  struct gb_ranked top[GB_BOARD_TOP];
};

/* A tally value set by a board: the winner's wins in the periods of mask. */
struct gb_tally {
  char winner[GB_EMAIL_MAX + 1];
  unsigned mask;
  int64_t wins[GB_PERIOD_COUNT];
};

struct gb_board {
  char lineage[33]; /* names this board's tallies */
  int64_t seq;      /* 0: no board stored yet */
  int64_t stamp_us; /* wall clock of its write: the leaderboards' version */
  int64_t end_ms;
  struct gb_board_period periods[GB_PERIOD_COUNT];
  size_t take_count;
  char (*take)[GB_GAME_ID_MAX + 1]; /* owned */
  size_t plan_count;
  struct gb_tally *plan; /* owned */
};

/* A game as a refresh reads it. */
struct gb_board_game {
  char id[GB_GAME_ID_MAX + 1];
  char winner[GB_EMAIL_MAX + 1];
  int64_t timestamp_ms;
  int32_t rock, paper, scissors;
  bool marked; /* k != 0: taken in by an earlier board */
};

struct gb_time_range {
  int64_t from_ms, to_ms; /* both inclusive */
};

/* A board with nothing counted, its windows ending at now_ms. */
void gb_board_init(struct gb_board *board, int64_t now_ms);
void gb_board_cleanup(struct gb_board *board);
/* Moves src into dst (dst's old contents freed). */
void gb_board_move(struct gb_board *dst, struct gb_board *src);
bool gb_board_add_take(struct gb_board *board, const char *id);
bool gb_board_add_tally(struct gb_board *board, const struct gb_tally *t);
bool gb_board_takes(const struct gb_board *board, const char *id);
/* A deep copy of src into dst (dst's old contents freed); false when out
 * of memory, dst then empty. */
bool gb_board_copy(struct gb_board *dst, const struct gb_board *src);
/* The games of pending that are neither marked nor on board's take list:
 * those a refresh from board would take in. */
size_t gb_board_new_pending(const struct gb_board *board,
                            const struct gb_board_game *pending,
                            size_t count);

/* The Timestamp ranges whose games can change status when the windows move
 * from board's to those ending at now_ms (now_ms >= board->end_ms). */
size_t gb_board_edges(const struct gb_board *board, int64_t now_ms,
                      struct gb_time_range ranges[GB_BOARD_RANGES]);

/* One winner whose wins change in a refresh. */
struct gb_board_change {
  char winner[GB_EMAIL_MAX + 1];
  unsigned mask; /* periods whose wins change */
  int64_t delta[GB_PERIOD_COUNT];
  unsigned known; /* periods whose old value is known */
  int64_t old[GB_PERIOD_COUNT];
};

struct gb_board_step {
  const struct gb_board *prev;
  int64_t now_ms;
  struct gb_board next; /* being built */
  /* Of struct gb_board_change, at most GB_BOARD_PLAN_MAX, as each becomes
   * a plan entry; read with gb_board_change_at. */
  struct gb_dynbuf change_list;
  bool *confirmed;        /* per entry of prev's plan; owned */
  bool all_pending_taken; /* every pending game read was taken in */
  unsigned refill;        /* periods whose ranking needs the tallies */
};

/* The step's change i, i < step->change_list.count. */
static inline struct gb_board_change *
gb_board_change_at(const struct gb_board_step *step, size_t i)
{
  return gb_dynbuf_at(&step->change_list, i);
}

/* First half of a refresh from prev to now_ms: takes in up to
 * GB_BOARD_TAKE_MAX of the pending games (k == 0, as read; those prev
 * took in stay taken, I3), classifies the edge games (only marked games
 * or games prev took count as taken, I4) and collects the win changes.
 * pending_complete says the read returned every pending game;
 * takes_known that pending holds every game of prev's take list still
 * unmarked (true when complete, or after a read of those Ids); if not,
 * every game prev took stays listed (its mark is not known).
 * Old values come from prev's plan and top lists; the caller supplies the
 * rest with gb_board_step_old for the winners gb_board_step_missing
 * lists. False on allocation failure, or with *too_much when the step
 * exceeds GB_BOARD_PLAN_MAX (the caller retries with a nearer now_ms). */
bool gb_board_step_begin(struct gb_board_step *step,
                         const struct gb_board *prev, int64_t now_ms,
                         const struct gb_board_game *pending,
                         size_t pending_count, bool pending_complete,
                         bool takes_known, const struct gb_board_game *edges,
                         size_t edge_count, bool *too_much);
/* True when change i still needs a stored tally value. */
bool gb_board_step_missing(const struct gb_board_step *step, size_t i);
/* A tally document as stored: wins per period (0 when absent), and
 * whether it holds prev's plan entry for that winner (its version is at
 * least prev's seq). */
void gb_board_step_old(struct gb_board_step *step, const char *winner,
                       const int64_t wins[GB_PERIOD_COUNT], bool confirmed);
/* Second half: the next board (seq prev+1, plan = the changes plus the
 * carried entries of prev's plan not confirmed, I5), its sums and top
 * lists. all_confirmed says prev's plan is known written. Sets
 * step->refill for periods whose top 10 the cached lists cannot decide.
 * False on allocation failure. */
bool gb_board_step_finish(struct gb_board_step *step, bool all_confirmed,
                          int64_t stamp_us);
/* For a period in step->refill: the top tallies as stored, in ranking
 * order (all of them when complete); plan values override them. */
bool gb_board_step_refill(struct gb_board_step *step, enum gb_period period,
                          const struct gb_ranked *stored, size_t count,
                          bool complete);
void gb_board_step_cleanup(struct gb_board_step *step);

/* The leaderboard of period as the board holds it. */
void gb_board_leaderboard(const struct gb_board *board, enum gb_period period,
                          struct gb_leaderboard *lb);

#endif
