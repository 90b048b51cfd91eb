/* gb_board: one refresh step without a database. */
#include <string.h>

#include "gb_board.h"
#include "gb_test.h"
#include "gb_time.h"

static struct gb_board_game game(const char *id, const char *winner,
                                 int64_t t, bool marked)
{
  struct gb_board_game g;

  memset(&g, 0, sizeof(g));
  strcpy(g.id, id);
  strcpy(g.winner, winner);
  g.timestamp_ms = t;
  g.rock = 1;
  g.paper = 2;
  g.scissors = 3;
  g.marked = marked;
  return g;
}

int main(void)
{
  int64_t now = gb_days_from_civil(2026, 3, 12) * GB_MS_PER_DAY;
  struct gb_board prev, next;
  struct gb_board_step step;
  struct gb_board_game pending[3], edges[2];
  struct gb_leaderboard lb;
  bool too_much;

  /* Two new games and one early game: counted where the windows hold
   * them, all three listed for marking. */
  gb_board_init(&prev, now - 1000);
  strcpy(prev.lineage, "lin");
  pending[0] = game("a", "alice", now - 5000, false);
  pending[1] = game("b", "Bot", now - 2 * GB_MS_PER_DAY, false);
  pending[2] = game("c", "Bot", now + 60000, false);
  CHECK(gb_board_step_begin(&step, &prev, now, pending, 3, true, true, NULL,
                            0, &too_much));
  CHECK(!too_much);
  CHECK(step.next.take_count == 3);
  CHECK(step.all_pending_taken);
  for (size_t i = 0; i < step.change_list.count; i++)
    CHECK(!gb_board_step_missing(&step, i)); /* no tallies beyond the list */
  CHECK(gb_board_step_finish(&step, true, 1));
  CHECK(step.refill == 0);
  gb_board_leaderboard(&step.next, GB_PERIOD_DAILY, &lb);
  CHECK(lb.games == 1 && lb.winner_count == 1);
  CHECK(strcmp(lb.winners[0].email, "alice") == 0);
  gb_board_leaderboard(&step.next, GB_PERIOD_WEEKLY, &lb);
  CHECK(lb.games == 2 && lb.rock_count == 2 && lb.winner_count == 2);
  CHECK(step.next.seq == 1 && step.next.plan_count == 2);
  memset(&next, 0, sizeof(next));
  gb_board_move(&next, &step.next);
  gb_board_step_cleanup(&step);

  /* A day later: alice's game leaves Daily (she drops out), the early
   * game enters every window; the pending game that the board took and
   * nobody marked yet is not counted twice. */
  pending[0] = game("c", "Bot", now + 60000, false);
  edges[0] = game("a", "alice", now - 5000, true);
  edges[1] = game("c", "Bot", now + 60000, false);
  CHECK(gb_board_step_begin(&step, &next, now + GB_MS_PER_DAY, pending, 1,
                            true, true, edges, 2, &too_much));
  CHECK(step.next.take_count == 1); /* c stays listed until marked */
  CHECK(gb_board_step_finish(&step, false, 2));
  gb_board_leaderboard(&step.next, GB_PERIOD_DAILY, &lb);
  CHECK(lb.games == 1 && lb.winner_count == 1);
  CHECK(strcmp(lb.winners[0].email, "Bot") == 0 && lb.winners[0].wins == 1);
  gb_board_leaderboard(&step.next, GB_PERIOD_WEEKLY, &lb);
  CHECK(lb.games == 3 && lb.winner_count == 2 && lb.winners[0].wins == 2);
  /* The earlier plan was not confirmed: alice's entry is carried. */
  CHECK(step.next.plan_count == 2);
  gb_board_step_cleanup(&step);

  /* A full ranking list whose members lose wins asks for a refill. */
  gb_board_cleanup(&next);
  gb_board_init(&prev, now);
  strcpy(prev.lineage, "lin");
  prev.seq = 5;
  prev.periods[0].more = true;
  prev.periods[0].top_count = 1;
  strcpy(prev.periods[0].top[0].winner, "Bot");
  prev.periods[0].top[0].wins = 1;
  prev.periods[0].games = 1;
  edges[0] = game("x", "Bot", prev.periods[0].start_ms + 10, true);
  CHECK(gb_board_step_begin(&step, &prev, now + 1000, NULL, 0, true, true,
                            edges, 1, &too_much));
  CHECK(gb_board_step_finish(&step, true, 3));
  CHECK(step.refill & 1u);
  {
    struct gb_ranked stored[1] = {{"carol", 4}};
    CHECK(gb_board_step_refill(&step, GB_PERIOD_DAILY, stored, 1, true));
  }
  gb_board_leaderboard(&step.next, GB_PERIOD_DAILY, &lb);
  CHECK(lb.winner_count == 1 && strcmp(lb.winners[0].email, "carol") == 0);
  CHECK(!step.next.periods[0].more);
  gb_board_step_cleanup(&step);

  /* A deep copy owns its lists; the games a refresh would take in are
   * those neither marked nor listed. */
  {
    struct gb_board copy;
    struct gb_board_game seen[3] = {game("x", "alice", now, false),
                                    game("y", "alice", now, true),
                                    game("z", "alice", now, false)};
    struct gb_tally t = {.mask = 1u, .wins = {5, 0, 0}};

    memset(&copy, 0, sizeof(copy));
    strcpy(t.winner, "alice");
    CHECK(gb_board_add_take(&prev, "x"));
    CHECK(gb_board_add_tally(&prev, &t));
    CHECK(gb_board_copy(&copy, &prev));
    CHECK(copy.take != prev.take && copy.plan != prev.plan);
    CHECK_INT(copy.take_count, prev.take_count);
    CHECK_STR(copy.take[copy.take_count - 1], "x");
    CHECK(copy.plan_count == prev.plan_count &&
          copy.plan[copy.plan_count - 1].wins[0] == 5);
    CHECK_INT(gb_board_new_pending(&copy, seen, 3), 1);
    gb_board_cleanup(&copy);
  }
  gb_board_cleanup(&prev);
  return gb_test_report("board");
}
