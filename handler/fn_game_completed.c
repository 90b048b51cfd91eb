#include "fn_game_completed.h"

#include <stdio.h>
#include <string.h>

#include "gb_event.h"
#include "gb_game.h"
#include "gb_invocation.h"
#include "gb_json.h"
#include "gb_store.h"
#include "gb_text.h"
#include "gb_time.h"

/* The id as it may appear in a log line. */
static const char *loggable(const char *id, char *buf, size_t cap)
{
  if (!id)
    return "-";
  return gb_text_sanitize(buf, cap, id, strlen(id));
}

/* Names a field of the event's data as a path from the event ("data.Id"). */
static void prefix_field(struct gb_error *err, const char *prefix)
{
  size_t n = strlen(err->field), p = strlen(prefix);

  if (n + p < sizeof(err->field)) {
    memmove(err->field + p, err->field, n + 1);
    memcpy(err->field, prefix, p);
  }
}

/* Keeps an event out for good: recorded, then acknowledged, because
 * delivering it again cannot make it valid. */
static bool reject(const struct gb_app *app, struct gb_invocation *inv,
                   const cJSON *event_value, const char *kind,
                   const char *event_id, const char *game_id,
                   const struct gb_error *why, struct gb_error *err)
{
  struct gb_rejection rejection;
  char *raw = gb_json_print(event_value);
  char id_buf[80];
  bool ok;

  rejection.kind = kind;
  rejection.event_id = event_id;
  rejection.game_id = game_id;
  rejection.field = why->field[0] ? why->field : NULL;
  rejection.reason = why->message;
  rejection.raw = raw;
  ok = gb_store_record_rejection(app->store, &rejection, gb_time_now_ms(),
                                 err);
  cJSON_free(raw);
  if (ok)
    gb_invocation_log(inv,
                      "GameCompleted invocation=%s event=%s outcome=rejected "
                      "kind=%s field=%s reason=%s",
                      inv->id, loggable(event_id, id_buf, sizeof(id_buf)),
                      kind, why->field[0] ? why->field : "-", why->message);
  return ok;
}

static bool count_game(const struct gb_app *app, struct gb_invocation *inv,
                       const cJSON *event_value, const struct gb_event *event,
                       struct gb_error *err)
{
  struct gb_game game;
  struct gb_error invalid = {0};
  enum gb_put_result result;
  char id_buf[80];
  int64_t now = gb_time_now_ms();
  uint64_t commands_before = gb_store_thread_commands();

  if (strcmp(event->type, GB_EVENT_TYPE_GAME_COMPLETED) != 0) {
    gb_error_set(&invalid, GB_ERR_INVALID, 0,
                 event->schema == GB_SCHEMA_CLOUD_EVENTS ? "type"
                                                         : "eventType",
                 "event type must be \"%s\"", GB_EVENT_TYPE_GAME_COMPLETED);
    return reject(app, inv, event_value, "invalid", event->id, NULL, &invalid,
                  err);
  }
  if (!gb_game_from_json(event->data, now, &game, &invalid)) {
    /* "data" already names the event's data when it is not an object. */
    if (strcmp(invalid.field, "data") != 0)
      prefix_field(&invalid, "data.");
    return reject(app, inv, event_value, "invalid", event->id, NULL, &invalid,
                  err);
  }
  if (!gb_store_put_game(app->store, &game, &result, err))
    return false;
  if (result == GB_PUT_CONFLICT) {
    gb_error_set(&invalid, GB_ERR_INVALID, 0, "data.Id",
                 "a different game with Id %s is already stored", game.id);
    return reject(app, inv, event_value, "conflict", event->id, game.id,
                  &invalid, err);
  }
  /* A duplicate waits too: its first delivery may have stored the game
   * and failed before a refresh took it in. */
  if (!gb_store_sync(app->store, game.id, err))
    return false;
  gb_invocation_log(
      inv,
      "GameCompleted invocation=%s event=%s game=%s "
      "outcome=%s db_commands=%llu",
      inv->id, loggable(event->id, id_buf, sizeof(id_buf)), game.id,
      result == GB_PUT_STORED ? "counted" : "duplicate",
      (unsigned long long)(gb_store_thread_commands() - commands_before));
  return true;
}

bool fn_game_completed(const struct gb_app *app, struct gb_call *call,
                       struct gb_error *err)
{
  struct gb_event event = {0};
  struct gb_error invalid = {0};
  bool ok;

  if (gb_event_parse(call->input, &event, &invalid))
    ok = count_game(app, call->inv, call->input, &event, err);
  else
    ok = reject(app, call->inv, call->input, "invalid", event.id, NULL,
                &invalid, err);
  if (!ok)
    gb_invocation_log(call->inv,
                      "GameCompleted invocation=%s outcome=failed "
                      "retryable=%s reason=%s",
                      call->inv->id, gb_error_retryable(err) ? "yes" : "no",
                      err->message);
  gb_event_cleanup(&event);
  return ok;
}
