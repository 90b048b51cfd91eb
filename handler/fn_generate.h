/* Generate: the HTTP-triggered function (POST /api/Stats/Generate, function
 * key) behind the web page's "Generate Mock Data" box. Off unless
 * GRIDBOARD_ENABLE_GENERATE is true, since it writes made-up games into the
 * leaderboard. */
#ifndef FN_GENERATE_H
#define FN_GENERATE_H

#include "gb_function.h"

#define FN_GENERATE_MAX 10000

/* Body: a count, 1 to FN_GENERATE_MAX (a JSON number, as the page sends
 * it). Stores that many plausible games (random Ids, about count/10
 * players and the Bot, 0 to 8 of each move, timestamps within the last 40
 * days), then recomputes the leaderboards, unlike the old StatsAPI.
 * 200 {"generated":N}; 403 when disabled; 400 for a bad count; 503 when
 * the database is down. */
bool fn_generate(const struct gb_app *app, struct gb_call *call,
                 struct gb_error *err);

#endif
