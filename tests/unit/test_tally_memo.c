/* gb_tally_memo: the tally values a process may know without a read (I8
 * in docs/internals/leaderboards.md). */
#include <string.h>

#include "gb_tally_memo.h"
#include "gb_test.h"
#include "gb_time.h"

static void plan(struct gb_board *board, const char *winner, unsigned mask,
                 int64_t n0, int64_t n1, int64_t n2)
{
  struct gb_tally t = {.mask = mask, .wins = {n0, n1, n2}};

  strcpy(t.winner, winner);
  CHECK(gb_board_add_tally(board, &t));
}

static struct gb_board board_at(const char *lineage, int64_t seq, int64_t now)
{
  struct gb_board b;

  gb_board_init(&b, now);
  strcpy(b.lineage, lineage);
  b.seq = seq;
  return b;
}

int main(void)
{
  int64_t now = gb_days_from_civil(2026, 3, 12) * GB_MS_PER_DAY;
  struct gb_tally_memo memo = {0};
  struct gb_board b1 = board_at("lin", 1, now), b2 = board_at("lin", 2, now);
  struct gb_board b4 = board_at("lin", 4, now),
                  other = board_at("new", 5, now);
  struct gb_board_step step;
  struct gb_board_game g;
  const struct gb_tally *t;
  bool too_much;

  /* Following a board one seq ahead learns its plan, sorted by winner. */
  gb_tally_memo_follow(&memo, &b1);
  CHECK(memo.count == 0 && memo.seq == 1);
  plan(&b2, "zoe", 1u, 4, 0, 0);
  plan(&b2, "Bot", 7u, 10, 20, 30);
  plan(&b2, "amy", 2u, 0, 3, 0);
  gb_tally_memo_follow(&memo, &b2);
  CHECK_INT(memo.seq, 2);
  CHECK_INT(memo.count, 3);
  CHECK_STR(memo.items[0].winner, "Bot");
  CHECK_STR(memo.items[2].winner, "zoe");
  t = gb_tally_memo_find(&memo, "amy");
  CHECK(t && t->mask == 2u && t->wins[1] == 3);
  CHECK(gb_tally_memo_find(&memo, "nobody") == NULL);
  /* Following the same board again changes nothing. */
  gb_tally_memo_follow(&memo, &b2);
  CHECK_INT(memo.count, 3);

  /* A step from b2 takes the old values it lacks from the memo, only for
   * periods the memo knows. */
  memset(&g, 0, sizeof(g));
  strcpy(g.id, "g1");
  strcpy(g.winner, "amy");
  g.timestamp_ms = now;
  b2.periods[0].more = b2.periods[1].more = b2.periods[2].more = true;
  b2.plan_count = 0; /* as if its plan were written and dropped */
  CHECK(gb_board_step_begin(&step, &b2, now, &g, 1, true, true, NULL, 0,
                            &too_much));
  CHECK(gb_board_step_missing(&step, 0));
  gb_tally_memo_recall(&memo, &step);
  CHECK(gb_board_step_missing(&step, 0)); /* amy's Daily is not known */
  gb_board_step_cleanup(&step);
  strcpy(g.winner, "Bot");
  CHECK(gb_board_step_begin(&step, &b2, now, &g, 1, true, true, NULL, 0,
                            &too_much));
  gb_tally_memo_recall(&memo, &step);
  CHECK(!gb_board_step_missing(&step, 0));
  CHECK(gb_board_change_at(&step, 0)->old[0] == 10 &&
        gb_board_change_at(&step, 0)->old[2] == 30);
  gb_board_step_cleanup(&step);

  /* A gap of more than one seq, or another lineage: everything forgotten,
   * and a step of the wrong board gets nothing. */
  gb_tally_memo_follow(&memo, &b4);
  CHECK(memo.count == 0 && memo.seq == 4);
  plan(&b4, "Bot", 1u, 11, 0, 0);
  memo.seq = 3;
  gb_tally_memo_follow(&memo, &b4);
  CHECK_INT(memo.count, 1);
  gb_tally_memo_follow(&memo, &other);
  CHECK(memo.count == 0 && strcmp(memo.lineage, "new") == 0);
  b4.periods[0].more = b4.periods[1].more = b4.periods[2].more = true;
  CHECK(gb_board_step_begin(&step, &b4, now, &g, 1, true, true, NULL, 0,
                            &too_much));
  gb_tally_memo_recall(&memo, &step);
  CHECK(gb_board_change_at(&step, 0)->known ==
        1u); /* from b4's plan, not the memo */
  gb_board_step_cleanup(&step);

  /* Bounded: beyond GB_TALLY_MEMO_MAX winners no new one is learned. */
  {
    struct gb_board big = board_at("new", 6, now);
    char name[32];

    for (int i = 0; i < GB_TALLY_MEMO_MAX + 5 && i < GB_BOARD_PLAN_MAX; i++) {
      snprintf(name, sizeof(name), "p%05d", i);
      plan(&big, name, 1u, i, 0, 0);
    }
    gb_tally_memo_follow(&memo, &big);
    CHECK_INT(memo.count, GB_TALLY_MEMO_MAX);
    CHECK(gb_tally_memo_find(&memo, "p00000") != NULL);
    gb_board_cleanup(&big);
  }

  gb_tally_memo_cleanup(&memo);
  gb_board_cleanup(&b1);
  gb_board_cleanup(&b2);
  gb_board_cleanup(&b4);
  gb_board_cleanup(&other);
  return gb_test_report("tally_memo");
}
