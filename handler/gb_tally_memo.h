/* gb_tally_memo: the tally values a process knows to be current, so that a
 * refresh need not read the tallies of winners it changed itself.
 *
 * Every change of a tally goes through a board's plan (I5 in
 * docs/internals/leaderboards.md), and every board's plan lists every
 * winner its step changed. So values learned from the plans of an
 * unbroken run of boards are the values the board records (the plan's
 * over the stored ones) for as long as the run goes on; the memo follows
 * a board one step ahead of it, and forgets everything when it sees a
 * board further ahead or of another lineage (I8). Bounded: beyond
 * GB_TALLY_MEMO_MAX winners it learns no new ones. No database code. */
#ifndef GB_TALLY_MEMO_H
#define GB_TALLY_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb_board.h"

#define GB_TALLY_MEMO_MAX 1024

struct gb_tally_memo {
  char lineage[33];
  int64_t seq; /* the board the values are current for */
  size_t count;
  struct gb_tally *items; /* sorted by winner; owned, sized once */
};

void gb_tally_memo_cleanup(struct gb_tally_memo *memo);
/* Makes the memo current for board: applies its plan when the memo was
 * current for the board before it, else forgets what it knew. */
void gb_tally_memo_follow(struct gb_tally_memo *memo,
                          const struct gb_board *board);
/* The memo's value for winner, or NULL. */
const struct gb_tally *gb_tally_memo_find(const struct gb_tally_memo *memo,
                                          const char *winner);
/* Supplies the step's missing old values the memo holds, when the memo is
 * current for the step's prev. */
void gb_tally_memo_recall(const struct gb_tally_memo *memo,
                          struct gb_board_step *step);

#endif
