#include "gb_game.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gb_text.h"
#include "gb_time.h"

static const cJSON *required(const cJSON *obj, const char *name,
                             struct gb_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
  /* Same name, other case: camelCase JSON from a serializer's defaults. */
  const cJSON *near = item ? NULL : cJSON_GetObjectItem(obj, name);

  if (near && near->string)
    gb_error_set(err, GB_ERR_INVALID, 0, name,
                 "%s is required (found \"%s\": field names are PascalCase, "
                 "as GameAPI sends them)",
                 name, near->string);
  else if (!item || cJSON_IsNull(item))
    gb_error_set(err, GB_ERR_INVALID, 0, name, "%s is required", name);
  return cJSON_IsNull(item) ? NULL : item;
}

static bool string_field(const cJSON *obj, const char *name, size_t max,
                         char *out, struct gb_error *err)
{
  const cJSON *item = required(obj, name, err);
  size_t len;

  if (!item)
    return false;
  if (!cJSON_IsString(item))
    return gb_error_set(err, GB_ERR_INVALID, 0, name, "%s must be a string",
                        name);
  len = strlen(item->valuestring);
  if (len == 0 || len > max)
    return gb_error_set(err, GB_ERR_INVALID, 0, name,
                        "%s must be 1 to %zu bytes long", name, max);
  memcpy(out, item->valuestring, len + 1);
  return true;
}

static bool id_field(const cJSON *obj, char *out, struct gb_error *err)
{
  if (!string_field(obj, "Id", GB_GAME_ID_MAX, out, err))
    return false;
  if (!gb_ascii_word(out, "-_"))
    return gb_error_set(err, GB_ERR_INVALID, 0, "Id",
                        "Id may hold only letters, digits, '-' and '_'");
  return true;
}

static bool email_field(const cJSON *obj, char *out, struct gb_error *err)
{
  if (!string_field(obj, "WinnerEmail", GB_EMAIL_MAX, out, err))
    return false;
  if (!gb_utf8_valid(out, strlen(out)) || !gb_text_printable(out))
    return gb_error_set(err, GB_ERR_INVALID, 0, "WinnerEmail",
                        "WinnerEmail must be UTF-8 text without control "
                        "characters");
  return true;
}

static bool count_field(const cJSON *obj, const char *name, int32_t *out,
                        struct gb_error *err)
{
  const cJSON *item = required(obj, name, err);
  double v;

  if (!item)
    return false;
  if (!cJSON_IsNumber(item))
    return gb_error_set(err, GB_ERR_INVALID, 0, name, "%s must be a number",
                        name);
  v = item->valuedouble;
  if (!isfinite(v) || v != floor(v))
    return gb_error_set(err, GB_ERR_INVALID, 0, name,
                        "%s must be a whole number", name);
  if (v < 0 || v > GB_MOVE_COUNT_MAX)
    return gb_error_set(err, GB_ERR_INVALID, 0, name,
                        "%s must be between 0 and %d", name,
                        GB_MOVE_COUNT_MAX);
  *out = (int32_t)v;
  return true;
}

static bool timestamp_field(const cJSON *obj, int64_t now_ms, int64_t *out,
                            char *text, struct gb_error *err)
{
  const cJSON *item = required(obj, "Timestamp", err);

  if (!item)
    return false;
  if (!cJSON_IsString(item))
    return gb_error_set(err, GB_ERR_INVALID, 0, "Timestamp",
                        "Timestamp must be a string");
  if (strlen(item->valuestring) > GB_TIMESTAMP_TEXT_MAX)
    return gb_error_set(err, GB_ERR_INVALID, 0, "Timestamp",
                        "Timestamp is not an ISO-8601 date-time such as "
                        "2024-12-06T15:19:12.340Z");
  if (!gb_time_parse(item->valuestring, out, "Timestamp", err))
    return false;
  memcpy(text, item->valuestring, strlen(item->valuestring) + 1);
  if (*out < GB_GAME_EPOCH_MS || *out > now_ms + GB_GAME_FUTURE_SLACK_MS)
    return gb_error_set(err, GB_ERR_INVALID, 0, "Timestamp",
                        "Timestamp must lie between 2000-01-01 and one day "
                        "from now");
  return true;
}

bool gb_game_from_json(const cJSON *obj, int64_t now_ms, struct gb_game *game,
                       struct gb_error *err)
{
  if (!cJSON_IsObject(obj))
    return gb_error_set(err, GB_ERR_INVALID, 0, "data",
                        "the game must be a JSON object");
  memset(game, 0, sizeof(*game));
  return id_field(obj, game->id, err) &&
         email_field(obj, game->winner_email, err) &&
         count_field(obj, "RockCount", &game->rock_count, err) &&
         count_field(obj, "PaperCount", &game->paper_count, err) &&
         count_field(obj, "ScissorsCount", &game->scissors_count, err) &&
         timestamp_field(obj, now_ms, &game->timestamp_ms,
                         game->timestamp_text, err);
}

cJSON *gb_game_to_json(const struct gb_game *g)
{
  cJSON *obj = cJSON_CreateObject();

  if (obj && cJSON_AddStringToObject(obj, "Id", g->id) &&
      cJSON_AddStringToObject(obj, "WinnerEmail", g->winner_email) &&
      cJSON_AddNumberToObject(obj, "RockCount", g->rock_count) &&
      cJSON_AddNumberToObject(obj, "PaperCount", g->paper_count) &&
      cJSON_AddNumberToObject(obj, "ScissorsCount", g->scissors_count) &&
      cJSON_AddStringToObject(obj, "Timestamp", g->timestamp_text))
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

bool gb_game_same(const struct gb_game *a, const struct gb_game *b)
{
  return strcmp(a->id, b->id) == 0 &&
         strcmp(a->winner_email, b->winner_email) == 0 &&
         a->rock_count == b->rock_count && a->paper_count == b->paper_count &&
         a->scissors_count == b->scissors_count &&
         a->timestamp_ms == b->timestamp_ms;
}
