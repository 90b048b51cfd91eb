#include "gb_leaderboard.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gb_time.h"

static const char *const period_names[GB_PERIOD_COUNT] = {"Daily", "Weekly",
                                                          "Monthly"};

const char *gb_period_name(enum gb_period period)
{
  return period_names[period];
}

bool gb_period_parse(const char *name, enum gb_period *period)
{
  int i;

  for (i = 0; i < GB_PERIOD_COUNT; i++) {
    if (strcasecmp(name, period_names[i]) == 0) {
      *period = (enum gb_period)i;
      return true;
    }
  }
  return false;
}

int64_t gb_period_window_start(enum gb_period period, int64_t now_ms)
{
  switch (period) {
  case GB_PERIOD_DAILY: return now_ms - GB_MS_PER_DAY;
  case GB_PERIOD_WEEKLY: return now_ms - 7 * GB_MS_PER_DAY;
  case GB_PERIOD_MONTHLY: return gb_time_add_months(now_ms, -1);
  }
  return now_ms;
}

void gb_leaderboard_init(struct gb_leaderboard *lb, enum gb_period period,
                         int64_t now_ms)
{
  memset(lb, 0, sizeof(*lb));
  lb->period = period;
  lb->window_start_ms = gb_period_window_start(period, now_ms);
  lb->window_end_ms = now_ms;
}

int gb_winner_compare(const void *a, const void *b)
{
  const struct gb_winner *x = a, *y = b;

  if (x->wins != y->wins)
    return x->wins > y->wins ? -1 : 1;
  return strcmp(x->email, y->email);
}

void gb_leaderboard_offer(struct gb_leaderboard *lb, const char *email,
                          int64_t wins)
{
  struct gb_winner candidate;
  size_t pos;

  snprintf(candidate.email, sizeof(candidate.email), "%s", email);
  candidate.wins = wins;
  pos = lb->winner_count;
  while (pos > 0 && gb_winner_compare(&candidate, &lb->winners[pos - 1]) < 0)
    pos--;
  if (pos >= GB_LEADERBOARD_TOP)
    return;
  if (lb->winner_count == GB_LEADERBOARD_TOP)
    lb->winner_count--; /* the last one drops off */
  memmove(&lb->winners[pos + 1], &lb->winners[pos],
          (lb->winner_count - pos) * sizeof(lb->winners[0]));
  lb->winners[pos] = candidate;
  lb->winner_count++;
}

static bool add_move(cJSON *moves, const char *name, int64_t count)
{
  cJSON *move = cJSON_CreateObject();

  if (!move || !cJSON_AddItemToArray(moves, move))
    return false;
  return cJSON_AddStringToObject(move, "move", name) &&
         cJSON_AddNumberToObject(move, "count", (double)count);
}

cJSON *gb_leaderboard_to_json(const struct gb_leaderboard *lb)
{
  cJSON *root = cJSON_CreateObject();
  cJSON *winners, *moves;
  char start[32], end[32];
  size_t i;
  bool ok;

  if (!root)
    return NULL;
  gb_time_format(lb->window_start_ms, start);
  gb_time_format(lb->window_end_ms, end);
  ok = cJSON_AddStringToObject(root, "id", gb_period_name(lb->period)) &&
       cJSON_AddStringToObject(root, "period", gb_period_name(lb->period)) &&
       (winners = cJSON_AddArrayToObject(root, "winners")) &&
       (moves = cJSON_AddArrayToObject(root, "moves")) &&
       cJSON_AddNumberToObject(root, "games", (double)lb->games) &&
       cJSON_AddStringToObject(root, "windowStart", start) &&
       cJSON_AddStringToObject(root, "windowEnd", end);
  for (i = 0; ok && i < lb->winner_count; i++) {
    /* Attached first, so root owns it whatever fails next. */
    cJSON *w = cJSON_CreateObject();
    ok = w && cJSON_AddItemToArray(winners, w) &&
         cJSON_AddStringToObject(w, "winnerEmail", lb->winners[i].email) &&
         cJSON_AddNumberToObject(w, "wins", (double)lb->winners[i].wins);
  }
  ok = ok && add_move(moves, "Rock", lb->rock_count) &&
       add_move(moves, "Paper", lb->paper_count) &&
       add_move(moves, "Scissors", lb->scissors_count);
  if (!ok) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
