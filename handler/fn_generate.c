#include "fn_generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gb_config.h"
#include "gb_game.h"
#include "gb_http_trigger.h"
#include "gb_invocation.h"
#include "gb_json.h"
#include "gb_store.h"
#include "gb_time.h"

#define WINDOW_MS (40 * GB_MS_PER_DAY)

static bool read_count(const char *body, long *count, struct gb_error *err)
{
  cJSON *value = body ? gb_json_parse(body, strlen(body), "body", err) : NULL;
  bool ok;

  if (!body)
    return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                        "the body must be a count, e.g. 100");
  if (!value)
    return false;
  ok = cJSON_IsNumber(value) && isfinite(value->valuedouble) &&
       value->valuedouble == floor(value->valuedouble) &&
       value->valuedouble >= 1 && value->valuedouble <= FN_GENERATE_MAX;
  if (ok)
    *count = (long)value->valuedouble;
  cJSON_Delete(value);
  if (!ok)
    return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                        "the count must be a whole number from 1 to %d",
                        FN_GENERATE_MAX);
  return true;
}

/* A random game, as a finished game from GameAPI would look. */
static bool mock_game(long players, int64_t now, struct gb_game *g)
{
  unsigned char r[32];
  uint32_t pick, ago;

  if (RAND_bytes(r, sizeof(r)) != 1)
    return false;
  r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* a version 4 UUID */
  r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
  memset(g, 0, sizeof(*g));
  snprintf(g->id, sizeof(g->id),
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x%02x%02x%02x%02x",
           r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
           r[11], r[12], r[13], r[14], r[15]);
  memcpy(&pick, r + 16, sizeof(pick));
  memcpy(&ago, r + 20, sizeof(ago));
  if (pick % (uint32_t)(players + 1) == (uint32_t)players)
    snprintf(g->winner_email, sizeof(g->winner_email), "Bot");
  else
    snprintf(g->winner_email, sizeof(g->winner_email), "player%u@example.com",
             pick % (uint32_t)(players + 1));
  g->rock_count = r[24] % 9;
  g->paper_count = r[25] % 9;
  g->scissors_count = r[26] % 9;
  g->timestamp_ms = now - (int64_t)(ago % (uint32_t)WINDOW_MS);
  gb_time_format(g->timestamp_ms, g->timestamp_text);
  return true;
}

static bool generate(const struct gb_app *app, long count, long *stored,
                     struct gb_error *err)
{
  int64_t now = gb_time_now_ms();
  long players = count / 10 > 0 ? count / 10 : 1, i;
  size_t put = 0;
  bool ok = true;

  *stored = 0;
  for (i = 0; ok && i < count; i++) {
    struct gb_game game;
    enum gb_put_result result;

    if (!mock_game(players, now, &game))
      ok = gb_error_set(err, GB_ERR_INTERNAL, 0, "", "no randomness");
    else if ((ok = gb_store_put_game(app->store, &game, &result, err))) {
      *stored += result == GB_PUT_STORED;
      put++;
    }
  }
  /* Also after a failure: the games stored so far are counted now rather
   * than at the next refresh. */
  if (put > 0 &&
      !gb_store_refresh_leaderboards(app->store, gb_time_now_ms(), NULL,
                                     ok ? err : &(struct gb_error){0}))
    ok = false;
  return ok;
}

bool fn_generate(const struct gb_app *app, struct gb_call *call,
                 struct gb_error *err)
{
  struct gb_error refused = {0};
  long count = 0, stored = 0;
  cJSON *body;
  bool ok;

  if (!app->config->enable_generate)
    ok = gb_error_set(&refused, GB_ERR_FORBIDDEN, 0,
                      "GRIDBOARD_ENABLE_GENERATE",
                      "mock data generation is off "
                      "(GRIDBOARD_ENABLE_GENERATE)");
  else
    ok = read_count(call->http.body, &count, &refused) &&
         generate(app, count, &stored, &refused);

  if (ok) {
    body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "generated", (double)stored);
    call->outputs = gb_http_response(200, body, NULL);
  } else {
    call->outputs = gb_http_response(gb_error_http_status(&refused),
                                     gb_json_error_body(&refused), NULL);
  }
  gb_invocation_log(call->inv,
                    "Generate invocation=%s requested=%ld stored=%ld "
                    "status=%d",
                    call->inv->id, count, stored,
                    ok ? 200 : gb_error_http_status(&refused));
  (void)err; /* a failure is Generate's answer, in Outputs.res */
  return true;
}
