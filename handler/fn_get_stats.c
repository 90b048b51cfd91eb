#include "fn_get_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_http_trigger.h"
#include "gb_invocation.h"
#include "gb_leaderboard.h"
#include "gb_time.h"

/* The saved leaderboard, or a new one when it is missing or stale. */
static bool leaderboard(const struct gb_app *app, enum gb_period period,
                        struct gb_leaderboard *board, const char **source,
                        struct gb_error *err)
{
  struct gb_leaderboard boards[GB_PERIOD_COUNT];
  int64_t now = gb_time_now_ms();
  bool found, from_memory;

  *source = "cache";
  if (!gb_store_read_leaderboard(app->store, period, now, board, &found,
                                 &from_memory, err))
    return false;
  if (from_memory)
    *source = "memory";
  if (found)
    return true;
  if (!gb_store_refresh_leaderboards(app->store, now, boards, err))
    return false;
  *board = boards[period];
  *source = "recomputed";
  return true;
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

void fn_get_stats(const struct gb_app *app, const struct gb_request *req,
                  struct gb_reply *reply)
{
  struct gb_invocation inv;
  struct gb_http_request_in request;
  struct gb_error err = {0};
  struct gb_leaderboard board;
  enum gb_period period = GB_PERIOD_DAILY;
  cJSON *owned = NULL, *outputs = NULL;
  const char *name = NULL;
  char etag[64], cache[48];
  const char *source = "";
  bool ok;

  if (!gb_invocation_parse(&inv, req->body, req->body_len, req->invocation_id,
                           &err) ||
      !gb_http_request_read(&inv, &request, &owned, &err)) {
    gb_reply_error(reply, &err);
    goto done;
  }
  name = gb_http_request_param(&request, "period");
  if (!name || !gb_period_parse(name, &period))
    ok = gb_error_set(&err, GB_ERR_INVALID, 0, "period",
                      "period must be Daily, Weekly or Monthly");
  else
    ok = leaderboard(app, period, &board, &source, &err);

  if (!ok) {
    outputs = gb_http_response(gb_error_http_status(&err),
                               gb_error_body(&err), NULL);
    gb_invocation_log(&inv, "GetStats invocation=%s status=%d reason=%s",
                      inv.id, gb_error_http_status(&err), err.message);
  } else {
    const char *headers[] = {"ETag", etag, "Cache-Control", cache, NULL};
    bool unchanged;

    snprintf(etag, sizeof(etag), "\"%s-%lld\"", gb_period_name(period),
             (long long)board.computed_at_us);
    snprintf(cache, sizeof(cache), "public, max-age=%d",
             FN_GET_STATS_MAX_AGE_SECONDS);
    unchanged = gb_http_etag_matches(
        gb_http_request_header(&request, "If-None-Match"), etag);
    if (unchanged)
      outputs = gb_http_response(304, NULL, headers);
    else
      outputs = body_response(app, period, &board, headers);
    gb_invocation_log(&inv,
                      "GetStats invocation=%s period=%s status=%d "
                      "source=%s",
                      inv.id, gb_period_name(period), unchanged ? 304 : 200,
                      source);
  }
  gb_http_finish(reply, &inv, outputs);

done:
  cJSON_Delete(owned);
  gb_invocation_cleanup(&inv);
}
