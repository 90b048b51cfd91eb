#include "fn_get_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_body_cache.h"
#include "gb_http_trigger.h"
#include "gb_invocation.h"
#include "gb_json.h"
#include "gb_leaderboard.h"
#include "gb_store.h"
#include "gb_time.h"

/* The saved leaderboard, or a new one when it is missing or stale. */
static bool leaderboard(const struct gb_app *app, enum gb_period period,
                        struct gb_leaderboard *board, const char **source,
                        struct gb_error *err)
{
  /* On the heap: a civetweb worker's stack is small. */
  struct gb_leaderboard *boards;
  int64_t now = gb_time_now_ms();
  bool found, from_memory, ok;

  *source = "cache";
  if (!gb_store_read_leaderboard(app->store, period, now, board, &found,
                                 &from_memory, err))
    return false;
  if (from_memory)
    *source = "memory";
  if (found)
    return true;
  boards = calloc(GB_PERIOD_COUNT, sizeof(*boards));
  if (!boards)
    return gb_error_nomem(err);
  ok = gb_store_refresh_leaderboards(app->store, now, boards, err);
  if (ok) {
    *board = boards[period];
    *source = "recomputed";
  }
  free(boards);
  return ok;
}

/* 200 with board's JSON, printed once per version of the period's
 * leaderboard (app->stats_bodies) rather than on every hot read. */
static cJSON *body_response(const struct gb_app *app, enum gb_period period,
                            const struct gb_leaderboard *board,
                            const char *const *headers)
{
  char *kept = gb_body_cache_get(app->stats_bodies, (size_t)period,
                                 board->computed_at_us);
  char *literal;
  cJSON *outputs;

  if (kept) {
    outputs = gb_http_json_literal_response(200, kept, headers);
    free(kept);
    return outputs;
  }
  literal = gb_http_body_literal(gb_leaderboard_to_json(board));
  if (!literal)
    return NULL;
  gb_body_cache_put(app->stats_bodies, (size_t)period, board->computed_at_us,
                    literal);
  outputs = gb_http_json_literal_response(200, literal, headers);
  cJSON_free(literal);
  return outputs;
}

bool fn_get_stats(const struct gb_app *app, struct gb_call *call,
                  struct gb_error *err)
{
  struct gb_invocation *inv = call->inv;
  struct gb_error refused = {0};
  struct gb_leaderboard board;
  enum gb_period period = GB_PERIOD_DAILY;
  const char *name = gb_http_request_param(&call->http, "period");
  char etag[64], cache[48];
  const char *source = "";
  bool ok;

  if (!name || !gb_period_parse(name, &period))
    ok = gb_error_set(&refused, GB_ERR_INVALID, 0, "period",
                      "period must be Daily, Weekly or Monthly");
  else
    ok = leaderboard(app, period, &board, &source, &refused);

  if (!ok) {
    call->outputs = gb_http_response(gb_error_http_status(&refused),
                                     gb_json_error_body(&refused), NULL);
    gb_invocation_log(inv, "GetStats invocation=%s status=%d reason=%s",
                      inv->id, gb_error_http_status(&refused),
                      refused.message);
  } else {
    const char *headers[] = {"ETag", etag, "Cache-Control", cache, NULL};
    bool unchanged;

    snprintf(etag, sizeof(etag), "\"%s-%lld\"", gb_period_name(period),
             (long long)board.computed_at_us);
    snprintf(cache, sizeof(cache), "public, max-age=%d",
             FN_GET_STATS_MAX_AGE_SECONDS);
    unchanged = gb_http_etag_matches(
        gb_http_request_header(&call->http, "If-None-Match"), etag);
    if (unchanged)
      call->outputs = gb_http_response(304, NULL, headers);
    else
      call->outputs = body_response(app, period, &board, headers);
    gb_invocation_log(inv,
                      "GetStats invocation=%s period=%s status=%d "
                      "source=%s",
                      inv->id, gb_period_name(period), unchanged ? 304 : 200,
                      source);
  }
  (void)err; /* a failure is GetStats' answer, in Outputs.res */
  return true;
}
