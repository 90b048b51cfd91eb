/* StatsPage: the HTTP-triggered function (GET /api/Stats, anonymous) that
 * serves the leaderboard page, a self-contained HTML file
 * (handler/stats_page.html, built into the binary) that shows the Daily,
 * Weekly and Monthly leaderboards from GetStats and polls them with their
 * ETags. */
#ifndef FN_STATS_PAGE_H
#define FN_STATS_PAGE_H

#include "gb_function.h"

/* 200 text/html with the page, its ETag (the page's build) and a
 * Content-Security-Policy that lets it talk to its own origin only; 304
 * when If-None-Match holds the ETag. */
bool fn_stats_page(const struct gb_app *app, struct gb_call *call,
                   struct gb_error *err);

#endif
