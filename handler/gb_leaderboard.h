/* gb_leaderboard: the Daily, Weekly and Monthly leaderboards.
 *
 * Pure domain code. A period is a rolling UTC window ending now, both ends
 * inclusive: Daily = now-1 day, Weekly = now-7 days, Monthly = now-1
 * calendar month. A leaderboard holds the top GB_LEADERBOARD_TOP winners by
 * wins (ties: email ascending, byte order) and the move totals of every
 * game in the window. */
#ifndef GB_LEADERBOARD_H
#define GB_LEADERBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gb_game.h"

#define GB_LEADERBOARD_TOP 10

enum gb_period { GB_PERIOD_DAILY, GB_PERIOD_WEEKLY, GB_PERIOD_MONTHLY };
#define GB_PERIOD_COUNT 3

struct gb_winner {
  char email[GB_EMAIL_MAX + 1];
  int64_t wins;
};

struct gb_leaderboard {
  enum gb_period period;
  int64_t window_start_ms; /* inclusive */
  int64_t window_end_ms;   /* inclusive: the "now" it was computed for */
  size_t winner_count;
  struct gb_winner winners[GB_LEADERBOARD_TOP]; /* ranked */
  int64_t games;
  int64_t rock_count;
  int64_t paper_count;
  int64_t scissors_count;
  int64_t computed_at_us; /* when its computation started: its version */
};

/* "Daily", "Weekly" or "Monthly". */
const char *gb_period_name(enum gb_period period);

/* Case-insensitive inverse of gb_period_name. */
bool gb_period_parse(const char *name, enum gb_period *period);

/* The first instant (inclusive) of the period's window ending at now_ms. */
int64_t gb_period_window_start(enum gb_period period, int64_t now_ms);

/* An empty leaderboard for the window ending at now_ms. */
void gb_leaderboard_init(struct gb_leaderboard *lb, enum gb_period period,
                         int64_t now_ms);

/* Ranking order: more wins first, then email ascending. qsort-compatible. */
int gb_winner_compare(const void *a, const void *b);

/* Considers one winner for the top list, keeping it ranked and at most
 * GB_LEADERBOARD_TOP long. Each email must be offered once. */
void gb_leaderboard_offer(struct gb_leaderboard *lb, const char *email,
                          int64_t wins);

/* The leaderboard as the workshop's web page reads it (camelCase):
 * {"id","period","winners":[{"winnerEmail","wins"}],
 *  "moves":[{"move":"Rock","count"},{"move":"Paper",..},{"move":"Scissors",..}],
 *  "games","windowStart","windowEnd"}. NULL on allocation failure. */
cJSON *gb_leaderboard_to_json(const struct gb_leaderboard *lb);

#endif
