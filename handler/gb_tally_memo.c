#include "gb_tally_memo.h"

#include <stdlib.h>
#include <string.h>

void gb_tally_memo_cleanup(struct gb_tally_memo *memo)
{
  free(memo->items);
  memset(memo, 0, sizeof(*memo));
}

static void forget(struct gb_tally_memo *memo, const struct gb_board *board)
{
  memcpy(memo->lineage, board->lineage, sizeof(memo->lineage));
  memo->seq = board->seq;
  memo->count = 0;
}

/* Index of winner, or of where it would go (*found false). */
static size_t position(const struct gb_tally_memo *memo, const char *winner,
                       bool *found)
{
  size_t lo = 0, hi = memo->count;

  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(memo->items[mid].winner, winner);

    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void learn(struct gb_tally_memo *memo, const struct gb_tally *t)
{
  bool found;
  size_t i = position(memo, t->winner, &found);
  struct gb_tally *e;

  if (!found) {
    if (memo->count >= GB_TALLY_MEMO_MAX)
      return;
    if (!memo->items) {
      memo->items = malloc(GB_TALLY_MEMO_MAX * sizeof(*memo->items));
      if (!memo->items)
        return; /* a memo that knows nothing is still correct */
    }
    memmove(&memo->items[i + 1], &memo->items[i],
            (memo->count - i) * sizeof(*memo->items));
    memo->count++;
    e = &memo->items[i];
    memset(e, 0, sizeof(*e));
    memcpy(e->winner, t->winner, sizeof(e->winner));
  } else {
    e = &memo->items[i];
  }
  for (int p = 0; p < GB_PERIOD_COUNT; p++)
    if (t->mask & (1u << p)) {
      e->wins[p] = t->wins[p];
      e->mask |= 1u << p;
    }
}

void gb_tally_memo_follow(struct gb_tally_memo *memo,
                          const struct gb_board *board)
{
  if (strcmp(memo->lineage, board->lineage) != 0 ||
      (board->seq != memo->seq && board->seq != memo->seq + 1)) {
    forget(memo, board);
    return;
  }
  if (board->seq == memo->seq)
    return;
  for (size_t i = 0; i < board->plan_count; i++)
    learn(memo, &board->plan[i]);
  memo->seq = board->seq;
}

const struct gb_tally *gb_tally_memo_find(const struct gb_tally_memo *memo,
                                          const char *winner)
{
  bool found;
  size_t i = position(memo, winner, &found);

  return found ? &memo->items[i] : NULL;
}

void gb_tally_memo_recall(const struct gb_tally_memo *memo,
                          struct gb_board_step *step)
{
  const struct gb_board *prev = step->prev;

  if (strcmp(memo->lineage, prev->lineage) != 0 || memo->seq != prev->seq)
    return;
  for (size_t i = 0; i < step->change_list.count; i++) {
    const struct gb_board_change *c = gb_board_change_at(step, i);
    const struct gb_tally *t;
    unsigned missing = c->mask & ~c->known;

    if (!missing)
      continue;
    t = gb_tally_memo_find(memo, c->winner);
    if (t && (t->mask & missing) == missing)
      gb_board_step_old(step, c->winner, t->wins, false);
  }
}
