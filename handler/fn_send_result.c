#include "fn_send_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_batch.h"
#include "gb_game.h"
#include "gb_game_event.h"
#include "gb_http_trigger.h"
#include "gb_invocation.h"
#include "gb_json.h"
#include "gb_publisher.h"
#include "gb_store.h"
#include "gb_time.h"

/* ================ The games in the body ================ */

struct games {
  struct gb_game *list;
  size_t count;
};

/* Names a game's field as a path into the body: "[2].RockCount". */
static void index_field(struct gb_error *err, size_t index)
{
  char field[sizeof(err->field)];

  snprintf(field, sizeof(field), "[%zu]", index);
  /* "data" is what the validator calls a game that is not an object. */
  if (strcmp(err->field, "data") != 0 &&
      strlen(field) + 1 + strlen(err->field) < sizeof(field)) {
    strcat(field, ".");
    strcat(field, err->field);
  }
  memcpy(err->field, field, sizeof(field));
}

static int by_id(const void *a, const void *b)
{
  struct gb_game *const *x = a, *const *y = b;

  return strcmp((*x)->id, (*y)->id);
}

/* The same game twice in one request is published once; two different
 * games with one Id are refused, as the store would keep the second out. */
static bool drop_repeats(struct games *games, struct gb_error *err)
{
  /* An array of pointers, sized as one. */
  /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
  struct gb_game **sorted = malloc(games->count * sizeof(*sorted));
  size_t i, kept = 0;
  bool ok = true;

  if (!sorted)
    return gb_error_nomem(err);
  for (i = 0; i < games->count; i++)
    sorted[i] = &games->list[i];
  /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
  qsort(sorted, games->count, sizeof(*sorted), by_id);
  for (i = 1; ok && i < games->count; i++) {
    if (strcmp(sorted[i - 1]->id, sorted[i]->id) != 0)
      continue;
    if (!gb_game_same(sorted[i - 1], sorted[i]))
      ok = gb_error_set(err, GB_ERR_INVALID, 0, "Id",
                        "two different games share the Id %s", sorted[i]->id);
    else
      sorted[i]->id[0] = '\0'; /* a repeat: drop it */
  }
  free(sorted);
  for (i = 0; ok && i < games->count; i++)
    if (games->list[i].id[0])
      games->list[kept++] = games->list[i];
  if (ok)
    games->count = kept;
  return ok;
}

static bool read_games(const char *body, size_t len, struct games *games,
                       struct gb_error *err)
{
  cJSON *root = gb_json_parse(body, len, "body", err);
  const cJSON *item;
  size_t n, i = 0;
  int64_t now = gb_time_now_ms();
  bool ok = true;

  memset(games, 0, sizeof(*games));
  if (!root)
    return false;
  n = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 1;
  if (!cJSON_IsArray(root) && !cJSON_IsObject(root))
    ok = gb_error_set(err, GB_ERR_INVALID, 0, "body",
                      "the body must be a finished game or an array of them");
  else if (n == 0)
    ok = gb_error_set(err, GB_ERR_INVALID, 0, "body",
                      "the array holds no games");
  else if (n > FN_SEND_RESULT_MAX_GAMES)
    ok = gb_error_set(err, GB_ERR_TOO_LARGE, 0, "body",
                      "at most %d games per request",
                      FN_SEND_RESULT_MAX_GAMES);
  if (ok) {
    games->list = calloc(n, sizeof(*games->list));
    if (!games->list)
      ok = gb_error_nomem(err);
  }
  if (ok && cJSON_IsObject(root)) {
    ok = gb_game_from_json(root, now, &games->list[0], err);
  } else if (ok) {
    cJSON_ArrayForEach(item, root)
    {
      if (!gb_game_from_json(item, now, &games->list[i], err)) {
        index_field(err, i);
        ok = false;
        break;
      }
      i++;
    }
  }
  games->count = n;
  cJSON_Delete(root);
  return ok && drop_repeats(games, err);
}

/* ================ Publishing ================ */

struct outcome {
  cJSON *published; /* event ids Event Grid accepted */
  int requests;
  int attempts;
};

static bool publish(const struct gb_app *app, const struct games *games,
                    struct outcome *outcome, struct gb_error *err)
{
  struct gb_publisher *pub = app->publisher;
  char **texts = calloc(games->count, sizeof(*texts));
  size_t *lens = calloc(games->count, sizeof(*lens));
  struct gb_batch *batches = calloc(games->count, sizeof(*batches));
  /* Each event's id, read from the event built (a UUIDv5: a SHA-1). */
  char(*ids)[37] = calloc(games->count, sizeof(*ids));
  char *body = NULL;
  size_t i, b, nbatches = 0;
  bool ok = texts && lens && batches && ids;

  if (!ok)
    gb_error_nomem(err);
  for (i = 0; ok && i < games->count; i++) {
    cJSON *event = gb_game_event_build(
        &games->list[i], gb_publisher_schema(pub), gb_publisher_source(pub));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(event, "id"));

    texts[i] = event && id ? gb_json_print(event) : NULL;
    if (id)
      snprintf(ids[i], sizeof(ids[i]), "%s", id);
    cJSON_Delete(event);
    if (!texts[i])
      ok = gb_error_nomem(err);
    else
      lens[i] = strlen(texts[i]);
  }
  ok = ok && gb_batch_split(lens, games->count, GB_BATCH_MAX_BYTES,
                            GB_BATCH_MAX_EVENTS, batches, games->count,
                            &nbatches, err);
  for (b = 0; ok && b < nbatches; b++) {
    struct gb_publish_report report;

    body = gb_batch_body(&batches[b], texts, lens);
    if (!body) {
      ok = gb_error_nomem(err);
      break;
    }
    ok = gb_publisher_send(pub, body, batches[b].bytes, &report, err);
    outcome->requests++;
    outcome->attempts += report.attempts;
    free(body);
    body = NULL;
    for (i = batches[b].first; ok && i < batches[b].first + batches[b].count;
         i++)
      cJSON_AddItemToArray(outcome->published, cJSON_CreateString(ids[i]));
  }
  for (i = 0; texts && i < games->count; i++)
    cJSON_free(texts[i]);
  free(texts);
  free(lens);
  free(batches);
  free(ids);
  return ok;
}

/* A game whose Id is stored with other content would be kept out by
 * GameCompleted after its 202: refused here instead, naming the Id. The
 * check is a courtesy, not the guard (GameCompleted is): when the
 * database cannot be read, the games are published and Logs says so. */
static bool clashes_with_stored(const struct gb_app *app,
                                struct gb_invocation *inv,
                                const struct games *games,
                                struct gb_error *err)
{
  struct gb_error read_err = {0};
  size_t clash;

  if (!app->store)
    return false;
  if (!gb_store_find_clash(app->store, games->list, games->count, &clash,
                           &read_err)) {
    gb_invocation_log(inv,
                      "SendResult invocation=%s: the stored games "
                      "could not be read (%s); publishing without the "
                      "Id check",
                      inv->id, read_err.message);
    return false;
  }
  if (clash == games->count)
    return false;
  gb_error_set(err, GB_ERR_CONFLICT, 0, "Id",
               "a different game with Id %s is already stored: give each "
               "finished game its own Id",
               games->list[clash].id);
  return true;
}

/* ================ The reply ================ */

static cJSON *error_body(const struct gb_error *err, cJSON *published)
{
  cJSON *body = gb_json_error_body(err);

  if (published)
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(body, "error"),
                          "publishedEventIds", published);
  return body;
}

/* False, with why in err, when the body cannot be published at all. */
static bool body_publishable(const struct gb_app *app, const char *body,
                             struct gb_error *err)
{
  if (!body || body[0] == '\0')
    return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                        "the body must be a finished game (JSON) or an "
                        "array of them");
  if (strlen(body) > FN_SEND_RESULT_MAX_BODY_BYTES)
    return gb_error_set(err, GB_ERR_TOO_LARGE, 0, "body",
                        "the body exceeds %d bytes",
                        FN_SEND_RESULT_MAX_BODY_BYTES);
  if (!app->publisher)
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "EVENT_GRID_TOPIC_ENDPOINT",
                        "publishing is not configured: "
                        "EVENT_GRID_TOPIC_ENDPOINT is not set");
  return true;
}

bool fn_send_result(const struct gb_app *app, struct gb_call *call,
                    struct gb_error *err)
{
  struct gb_invocation *inv = call->inv;
  const char *text = call->http.body;
  struct gb_error refused = {0};
  struct games games = {NULL, 0};
  struct outcome outcome = {cJSON_CreateArray(), 0, 0};
  cJSON *answer;
  int status;
  bool ok;

  ok = body_publishable(app, text, &refused) &&
       read_games(text, strlen(text), &games, &refused) &&
       !clashes_with_stored(app, inv, &games, &refused) &&
       publish(app, &games, &outcome, &refused);
  if (ok) {
    status = 202;
    answer = cJSON_CreateObject();
    cJSON_AddNumberToObject(answer, "accepted", (double)games.count);
    cJSON_AddItemToObject(answer, "eventIds", outcome.published);
    outcome.published = NULL;
    gb_invocation_log(inv,
                      "SendResult invocation=%s games=%zu requests=%d "
                      "attempts=%d outcome=published",
                      inv->id, games.count, outcome.requests,
                      outcome.attempts);
  } else {
    status = gb_error_http_status(&refused);
    answer =
        error_body(&refused, outcome.requests ? outcome.published : NULL);
    if (outcome.requests)
      outcome.published = NULL;
    gb_invocation_log(inv,
                      "SendResult invocation=%s status=%d field=%s "
                      "attempts=%d outcome=%s reason=%s",
                      inv->id, status, refused.field[0] ? refused.field : "-",
                      outcome.attempts,
                      outcome.requests ? "failed" : "refused",
                      refused.message);
  }
  call->outputs = gb_http_response(status, answer, NULL);
  cJSON_Delete(outcome.published);
  free(games.list);
  (void)err; /* every refusal is SendResult's answer, in Outputs.res */
  return true;
}
