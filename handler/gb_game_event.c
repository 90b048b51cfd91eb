#include "gb_game_event.h"

#include <stdio.h>

#include "gb_crypto.h"

/* gridboard's UUID namespace for game events (a fixed random UUID:
 * 3d5c6f2a-8b1e-4f47-9c2d-7a6e5b4f3c21). */
static const unsigned char game_event_namespace[16] = {
    0x3d, 0x5c, 0x6f, 0x2a, 0x8b, 0x1e, 0x4f, 0x47,
    0x9c, 0x2d, 0x7a, 0x6e, 0x5b, 0x4f, 0x3c, 0x21};

bool gb_game_event_id(const struct gb_game *game, char id[37])
{
  char name[GB_GAME_ID_MAX + 32];

  snprintf(name, sizeof(name), "GameCompleted/%s", game->id);
  return gb_uuid_v5(game_event_namespace, name, id);
}

cJSON *gb_game_event_build(const struct gb_game *game,
                           enum gb_event_schema schema, const char *source)
{
  cJSON *event = cJSON_CreateObject();
  cJSON *data = gb_game_to_json(game);
  char id[37];
  bool ok;

  if (!event || !data || !gb_game_event_id(game, id)) {
    cJSON_Delete(event);
    cJSON_Delete(data);
    return NULL;
  }
  if (schema == GB_SCHEMA_CLOUD_EVENTS)
    ok =
        cJSON_AddStringToObject(event, "specversion", "1.0") &&
        cJSON_AddStringToObject(event, "id", id) &&
        cJSON_AddStringToObject(event, "source", source) &&
        cJSON_AddStringToObject(event, "type",
                                GB_EVENT_TYPE_GAME_COMPLETED) &&
        cJSON_AddStringToObject(event, "subject", GB_GAME_EVENT_SUBJECT) &&
        cJSON_AddStringToObject(event, "time", game->timestamp_text) &&
        cJSON_AddStringToObject(event, "datacontenttype", "application/json");
  else
    ok = cJSON_AddStringToObject(event, "id", id) &&
         cJSON_AddStringToObject(event, "subject", GB_GAME_EVENT_SUBJECT) &&
         cJSON_AddStringToObject(event, "eventType",
                                 GB_EVENT_TYPE_GAME_COMPLETED) &&
         cJSON_AddStringToObject(event, "eventTime", game->timestamp_text) &&
         cJSON_AddStringToObject(event, "dataVersion",
                                 GB_GAME_EVENT_DATA_VERSION);
  if (!ok || !cJSON_AddItemToObject(event, "data", data)) {
    cJSON_Delete(data);
    cJSON_Delete(event);
    return NULL;
  }
  return event;
}
