#include "gb_board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gb_board_init(struct gb_board *board, int64_t now_ms)
{
  memset(board, 0, sizeof(*board));
  board->end_ms = now_ms;
  for (int p = 0; p < GB_PERIOD_COUNT; p++)
    board->periods[p].start_ms =
        gb_period_window_start((enum gb_period)p, now_ms);
}

void gb_board_cleanup(struct gb_board *board)
{
  free(board->take);
  free(board->plan);
  board->take = NULL;
  board->plan = NULL;
  board->take_count = board->plan_count = 0;
}

void gb_board_move(struct gb_board *dst, struct gb_board *src)
{
  gb_board_cleanup(dst);
  *dst = *src;
  src->take = NULL;
  src->plan = NULL;
  src->take_count = src->plan_count = 0;
}

bool gb_board_copy(struct gb_board *dst, const struct gb_board *src)
{
  gb_board_cleanup(dst);
  *dst = *src;
  dst->take = NULL;
  dst->plan = NULL;
  dst->take_count = dst->plan_count = 0;
  for (size_t i = 0; i < src->take_count; i++)
    if (!gb_board_add_take(dst, src->take[i]))
      goto fail;
  for (size_t i = 0; i < src->plan_count; i++)
    if (!gb_board_add_tally(dst, &src->plan[i]))
      goto fail;
  return true;
fail:
  gb_board_cleanup(dst);
  return false;
}

size_t gb_board_new_pending(const struct gb_board *board,
                            const struct gb_board_game *pending, size_t count)
{
  size_t n = 0;

  for (size_t i = 0; i < count; i++)
    if (!pending[i].marked && !gb_board_takes(board, pending[i].id))
      n++;
  return n;
}

bool gb_board_add_take(struct gb_board *board, const char *id)
{
  char(*grown)[GB_GAME_ID_MAX + 1];

  if (board->take_count >= (size_t)2 * GB_BOARD_TAKE_MAX ||
      strlen(id) > GB_GAME_ID_MAX)
    return false;
  /* Sized once: the list never exceeds its bound. */
  if (!board->take) {
    grown = malloc((size_t)2 * GB_BOARD_TAKE_MAX * sizeof(*grown));
    if (!grown)
      return false;
    board->take = grown;
  }
  snprintf(board->take[board->take_count++], GB_GAME_ID_MAX + 1, "%s", id);
  return true;
}

bool gb_board_add_tally(struct gb_board *board, const struct gb_tally *t)
{
  if (board->plan_count >= GB_BOARD_PLAN_MAX)
    return false;
  if (!board->plan) {
    board->plan = malloc(GB_BOARD_PLAN_MAX * sizeof(*board->plan));
    if (!board->plan)
      return false;
  }
  board->plan[board->plan_count++] = *t;
  return true;
}

bool gb_board_takes(const struct gb_board *board, const char *id)
{
  for (size_t i = 0; i < board->take_count; i++)
    if (strcmp(board->take[i], id) == 0)
      return true;
  return false;
}

static int64_t min64(int64_t a, int64_t b)
{
  return a < b ? a : b;
}
static int64_t max64(int64_t a, int64_t b)
{
  return a > b ? a : b;
}

size_t gb_board_edges(const struct gb_board *board, int64_t now_ms,
                      struct gb_time_range ranges[GB_BOARD_RANGES])
{
  size_t n = 0;

  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    int64_t before = board->periods[p].start_ms;
    int64_t after = gb_period_window_start((enum gb_period)p, now_ms);

    /* The Monthly start can move back (the AddMonths clamp), so either
     * way round. */
    if (before != after)
      ranges[n++] =
          (struct gb_time_range){min64(before, after), max64(before, after)};
  }
  if (now_ms > board->end_ms)
    ranges[n++] = (struct gb_time_range){board->end_ms, now_ms};
  return n;
}

static bool in_window(int64_t t, int64_t start, int64_t end)
{
  return t >= start && t <= end;
}

/* The change of winner, added (zeroed) if the step has none; NULL with
 * err filled: GB_ERR_TOO_LARGE past GB_BOARD_PLAN_MAX winners, or out of
 * memory. */
static struct gb_board_change *change_for(struct gb_board_step *step,
                                          const char *winner,
                                          struct gb_error *err)
{
  struct gb_board_change *c;

  for (size_t i = 0; i < step->change_list.count; i++)
    if (strcmp(gb_board_change_at(step, i)->winner, winner) == 0)
      return gb_board_change_at(step, i);
  c = gb_dynbuf_grow(&step->change_list, 1, err);
  if (c)
    snprintf(c->winner, sizeof(c->winner), "%s", winner);
  return c;
}

/* Applies a game's change of status: sign +1 entering period p, -1
 * leaving it. False as change_for fails. */
static bool apply(struct gb_board_step *step, const struct gb_board_game *g,
                  int p, int sign, struct gb_error *err)
{
  struct gb_board_period *bp = &step->next.periods[p];
  struct gb_board_change *c = change_for(step, g->winner, err);

  if (!c)
    return false;
  c->mask |= 1u << p;
  c->delta[p] += sign;
  bp->games += sign;
  bp->rock += (int64_t)sign * g->rock;
  bp->paper += (int64_t)sign * g->paper;
  bp->scissors += (int64_t)sign * g->scissors;
  return true;
}

static const struct gb_tally *plan_entry(const struct gb_board *board,
                                         const char *winner, size_t *index)
{
  for (size_t i = 0; i < board->plan_count; i++)
    if (strcmp(board->plan[i].winner, winner) == 0) {
      if (index)
        *index = i;
      return &board->plan[i];
    }
  return NULL;
}

/* Old values known without a read: prev's plan (the newest values, I5),
 * else prev's top lists (exact, I6). */
static void known_old(const struct gb_board *prev, struct gb_board_change *c)
{
  const struct gb_tally *t = plan_entry(prev, c->winner, NULL);

  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_board_period *bp = &prev->periods[p];

    if (!(c->mask & (1u << p)))
      continue;
    if (t && (t->mask & (1u << p))) {
      c->old[p] = t->wins[p];
      c->known |= 1u << p;
      continue;
    }
    for (size_t i = 0; i < bp->top_count; i++)
      if (strcmp(bp->top[i].winner, c->winner) == 0) {
        c->old[p] = bp->top[i].wins;
        c->known |= 1u << p;
        break;
      }
    /* No winner with wins outside the list: absent means 0. */
    if (!(c->known & (1u << p)) && !bp->more) {
      c->old[p] = 0;
      c->known |= 1u << p;
    }
  }
}

/* Over clang-tidy's complexity threshold, stated in docs/testing.md: the
 * step follows the invariants of docs/internals/leaderboards.md in order. */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
bool gb_board_step_begin(struct gb_board_step *step,
                         const struct gb_board *prev, int64_t now_ms,
                         const struct gb_board_game *pending,
                         size_t pending_count, bool pending_complete,
                         bool takes_known, const struct gb_board_game *edges,
                         size_t edge_count, bool *too_much)
{
  struct gb_board *next = &step->next;
  size_t new_games = 0;
  struct gb_error err = {0};

  memset(step, 0, sizeof(*step));
  gb_dynbuf_init(&step->change_list, sizeof(struct gb_board_change),
                 GB_BOARD_PLAN_MAX);
  *too_much = false;
  step->prev = prev;
  step->now_ms = now_ms;
  gb_board_init(next, now_ms);
  memcpy(next->lineage, prev->lineage, sizeof(next->lineage));
  next->seq = prev->seq + 1;
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_board_period *from = &prev->periods[p];
    struct gb_board_period *to = &next->periods[p];

    to->games = from->games;
    to->rock = from->rock;
    to->paper = from->paper;
    to->scissors = from->scissors;
  }
  step->all_pending_taken = true;
  if (prev->plan_count) {
    step->confirmed = calloc(prev->plan_count, sizeof(*step->confirmed));
    if (!step->confirmed)
      return false;
  }

  /* Pending games: those prev took stay taken (marks may lag, I3); the
   * others are taken in now, up to the bound, and count where the new
   * windows hold them. */
  for (size_t i = 0; i < prev->take_count; i++) {
    bool seen = !takes_known;

    for (size_t j = 0; j < pending_count && !seen; j++)
      seen = strcmp(pending[j].id, prev->take[i]) == 0;
    if (seen && !gb_board_add_take(next, prev->take[i]))
      return false;
  }
  for (size_t i = 0; i < pending_count; i++) {
    const struct gb_board_game *g = &pending[i];

    if (g->marked || gb_board_takes(prev, g->id))
      continue;
    if (new_games >= GB_BOARD_TAKE_MAX ||
        next->take_count >= (size_t)2 * GB_BOARD_TAKE_MAX) {
      step->all_pending_taken = false;
      continue;
    }
    if (!gb_board_add_take(next, g->id))
      return false;
    new_games++;
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if (in_window(g->timestamp_ms, next->periods[p].start_ms, now_ms) &&
          !apply(step, g, p, +1, &err)) {
        *too_much = err.kind == GB_ERR_TOO_LARGE;
        return false;
      }
  }
  if (!pending_complete)
    step->all_pending_taken = false;

  /* Edge games taken in before: their status follows the windows (I4). */
  for (size_t i = 0; i < edge_count; i++) {
    const struct gb_board_game *g = &edges[i];

    if (!g->marked && !gb_board_takes(prev, g->id))
      continue; /* pending: counted when taken in */
    for (int p = 0; p < GB_PERIOD_COUNT; p++) {
      bool was =
          in_window(g->timestamp_ms, prev->periods[p].start_ms, prev->end_ms);
      bool is = in_window(g->timestamp_ms, next->periods[p].start_ms, now_ms);

      if (was != is && !apply(step, g, p, is ? +1 : -1, &err)) {
        *too_much = err.kind == GB_ERR_TOO_LARGE;
        return false;
      }
    }
  }

  for (size_t i = 0; i < step->change_list.count; i++)
    known_old(prev, gb_board_change_at(step, i));
  return true;
}

bool gb_board_step_missing(const struct gb_board_step *step, size_t i)
{
  const struct gb_board_change *c = gb_board_change_at(step, i);

  return (c->mask & ~c->known) != 0;
}

void gb_board_step_old(struct gb_board_step *step, const char *winner,
                       const int64_t wins[GB_PERIOD_COUNT], bool confirmed)
{
  size_t index;

  for (size_t i = 0; i < step->change_list.count; i++) {
    struct gb_board_change *c = gb_board_change_at(step, i);

    if (strcmp(c->winner, winner) != 0)
      continue;
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if ((c->mask & (1u << p)) && !(c->known & (1u << p))) {
        c->old[p] = wins[p];
        c->known |= 1u << p;
      }
  }
  if (confirmed && plan_entry(step->prev, winner, &index))
    step->confirmed[index] = true;
}

/* Ranking order of gb_winner_compare: more wins first, then email. */
static int rank_compare(const void *a, const void *b)
{
  const struct gb_ranked *x = a, *y = b;

  if (x->wins != y->wins)
    return x->wins > y->wins ? -1 : 1;
  return strcmp(x->winner, y->winner);
}

/* Keeps the candidates that rank at or before bound (everyone else ranks
 * after it), at most GB_BOARD_TOP of them; true when any was cut. */
static bool settle_top(struct gb_board_period *bp, struct gb_ranked *cand,
                       size_t count, const struct gb_ranked *bound)
{
  size_t kept = 0;
  bool cut = false;

  qsort(cand, count, sizeof(*cand), rank_compare);
  for (size_t i = 0; i < count; i++) {
    if ((bound && rank_compare(&cand[i], bound) > 0) ||
        kept == GB_BOARD_TOP) {
      cut = true;
      break;
    }
    bp->top[kept++] = cand[i];
  }
  bp->top_count = kept;
  return cut;
}

static int64_t new_value(const struct gb_board_change *c, int p)
{
  return c->old[p] + c->delta[p];
}

/* Over clang-tidy's complexity threshold, stated in docs/testing.md: the
 * step follows the invariants of docs/internals/leaderboards.md in order. */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
bool gb_board_step_finish(struct gb_board_step *step, bool all_confirmed,
                          int64_t stamp_us)
{
  const struct gb_board *prev = step->prev;
  struct gb_board *next = &step->next;
  struct gb_ranked *cand;

  next->stamp_us = stamp_us;
  /* The plan: every change, with prev's unconfirmed entries carried. */
  for (size_t i = 0; i < step->change_list.count; i++) {
    const struct gb_board_change *c = gb_board_change_at(step, i);
    struct gb_tally t = {.mask = c->mask};
    size_t index;
    const struct gb_tally *carried = plan_entry(prev, c->winner, &index);

    snprintf(t.winner, sizeof(t.winner), "%s", c->winner);
    if (carried && !all_confirmed && !step->confirmed[index]) {
      t.mask |= carried->mask;
      memcpy(t.wins, carried->wins, sizeof(t.wins));
    }
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if (c->mask & (1u << p))
        t.wins[p] = new_value(c, p);
    if (!gb_board_add_tally(next, &t))
      return false;
  }
  for (size_t i = 0; !all_confirmed && i < prev->plan_count; i++) {
    const struct gb_tally *t = &prev->plan[i];
    bool changed = false;

    for (size_t j = 0; j < step->change_list.count && !changed; j++)
      changed = strcmp(gb_board_change_at(step, j)->winner, t->winner) == 0;
    if (!changed && !step->confirmed[i] && !gb_board_add_tally(next, t))
      return false;
  }

  cand = malloc((GB_BOARD_TOP + step->change_list.count + 1) * sizeof(*cand));
  if (!cand)
    return false;
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_board_period *from = &prev->periods[p];
    struct gb_board_period *to = &next->periods[p];
    struct gb_ranked bound;
    size_t count = 0;
    bool cut;

    /* Cached winners with their new values, then changed outsiders. */
    for (size_t i = 0; i < from->top_count; i++) {
      cand[count] = from->top[i];
      for (size_t j = 0; j < step->change_list.count; j++) {
        const struct gb_board_change *c = gb_board_change_at(step, j);
        if ((c->mask & (1u << p)) &&
            strcmp(c->winner, from->top[i].winner) == 0)
          cand[count].wins = new_value(c, p);
      }
      if (cand[count].wins > 0)
        count++;
    }
    for (size_t j = 0; j < step->change_list.count; j++) {
      const struct gb_board_change *c = gb_board_change_at(step, j);
      bool cached = false;

      if (!(c->mask & (1u << p)) || new_value(c, p) <= 0)
        continue;
      for (size_t i = 0; i < from->top_count && !cached; i++)
        cached = strcmp(from->top[i].winner, c->winner) == 0;
      if (cached)
        continue;
      snprintf(cand[count].winner, sizeof(cand[count].winner), "%s",
               c->winner);
      cand[count++].wins = new_value(c, p);
    }
    /* Unchanged winners outside the list rank after its old last entry. */
    if (from->more && from->top_count == 0) {
      to->top_count = 0;
      to->more = true;
      step->refill |= 1u << p;
      continue;
    }
    if (from->more)
      bound = from->top[from->top_count - 1];
    cut = settle_top(to, cand, count, from->more ? &bound : NULL);
    to->more = from->more || cut;
    if (to->more && to->top_count < GB_LEADERBOARD_TOP)
      step->refill |= 1u << p;
  }
  free(cand);
  return true;
}

bool gb_board_step_refill(struct gb_board_step *step, enum gb_period period,
                          const struct gb_ranked *stored, size_t count,
                          bool complete)
{
  struct gb_board *next = &step->next;
  struct gb_board_period *to = &next->periods[period];
  struct gb_ranked *cand, bound;
  size_t n = 0;
  bool cut;

  cand = malloc((count + next->plan_count + 1) * sizeof(*cand));
  if (!cand)
    return false;
  /* Stored values, overridden by the plan's (they may not be written). */
  for (size_t i = 0; i < count; i++) {
    const struct gb_tally *t = plan_entry(next, stored[i].winner, NULL);

    if (t && (t->mask & (1u << period)))
      continue;
    if (stored[i].wins > 0)
      cand[n++] = stored[i];
  }
  for (size_t i = 0; i < next->plan_count; i++) {
    const struct gb_tally *t = &next->plan[i];

    if ((t->mask & (1u << period)) && t->wins[period] > 0) {
      snprintf(cand[n].winner, sizeof(cand[n].winner), "%s", t->winner);
      cand[n++].wins = t->wins[period];
    }
  }
  /* Winners beyond the stored ones read rank after the last of them. */
  if (!complete && count > 0)
    bound = stored[count - 1];
  cut = settle_top(to, cand, n, !complete && count > 0 ? &bound : NULL);
  to->more = !complete || cut;
  free(cand);
  step->refill &= ~(1u << period);
  return true;
}

void gb_board_step_cleanup(struct gb_board_step *step)
{
  gb_board_cleanup(&step->next);
  gb_dynbuf_free(&step->change_list);
  free(step->confirmed);
  step->confirmed = NULL;
}

void gb_board_leaderboard(const struct gb_board *board, enum gb_period period,
                          struct gb_leaderboard *lb)
{
  const struct gb_board_period *bp = &board->periods[period];

  gb_leaderboard_init(lb, period, board->end_ms);
  lb->window_start_ms = bp->start_ms;
  lb->games = bp->games;
  lb->rock_count = bp->rock;
  lb->paper_count = bp->paper;
  lb->scissors_count = bp->scissors;
  lb->computed_at_us = board->stamp_us;
  for (size_t i = 0; i < bp->top_count && i < GB_LEADERBOARD_TOP; i++)
    gb_leaderboard_offer(lb, bp->top[i].winner, bp->top[i].wins);
}
