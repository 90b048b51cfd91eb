/* GetStats: the HTTP-triggered function (GET /api/Stats/GetStats/{period},
 * anonymous) behind the workshop web page's leaderboard. */
#ifndef FN_GET_STATS_H
#define FN_GET_STATS_H

#include "gb_function.h"

/* Browsers and APIM may keep an answer this long, then revalidate with
 * the ETag (the leaderboard changes after every game). */
#define FN_GET_STATS_MAX_AGE_SECONDS 10

/* Serves the saved leaderboard of {period} (Daily, Weekly, Monthly, any
 * case) while it is fresh; when it is missing or expired, recomputes the
 * leaderboards from the games, saves them and serves the new one. 200
 * {"id","period","winners":[{"winnerEmail","wins"}],"moves":[{"move",
 * "count"}],"games","windowStart","windowEnd"} with ETag and
 * Cache-Control; 304 when If-None-Match holds the ETag; 400 for another
 * period; 503 when the database is down (never a stale answer). */
bool fn_get_stats(const struct gb_app *app, struct gb_call *call,
                  struct gb_error *err);

#endif
