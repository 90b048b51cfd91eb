#include "gb_event.h"

#include <string.h>

#include "gb_json.h"

static const char *string_member(const cJSON *obj, const char *name,
                                 bool allow_empty, struct gb_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

  if (!item) {
    gb_error_set(err, GB_ERR_INVALID, 0, name, "event %s is required", name);
    return NULL;
  }
  if (!cJSON_IsString(item)) {
    gb_error_set(err, GB_ERR_INVALID, 0, name, "event %s must be a string",
                 name);
    return NULL;
  }
  if (!allow_empty && item->valuestring[0] == '\0') {
    gb_error_set(err, GB_ERR_INVALID, 0, name, "event %s must not be empty",
                 name);
    return NULL;
  }
  return item->valuestring;
}

static bool data_member(const cJSON *obj, struct gb_event *event,
                        struct gb_error *err)
{
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");

  if (!data || cJSON_IsNull(data))
    return gb_error_set(err, GB_ERR_INVALID, 0, "data",
                        "event data is required");
  /* Some publishers send the payload serialized as a JSON string. */
  event->data = gb_json_unwrap(data, 2, "data", &event->owned_data, err);
  return event->data != NULL;
}

static bool parse_cloud_event(const cJSON *obj, struct gb_event *event,
                              struct gb_error *err)
{
  const char *version = string_member(obj, "specversion", false, err);

  if (!version)
    return false;
  if (strcmp(version, "1.0") != 0)
    return gb_error_set(err, GB_ERR_INVALID, 0, "specversion",
                        "CloudEvents specversion must be \"1.0\"");
  event->schema = GB_SCHEMA_CLOUD_EVENTS;
  return (event->id = string_member(obj, "id", false, err)) &&
         string_member(obj, "source", false, err) &&
         (event->type = string_member(obj, "type", false, err)) &&
         data_member(obj, event, err);
}

static bool parse_event_grid_event(const cJSON *obj, struct gb_event *event,
                                   struct gb_error *err)
{
  event->schema = GB_SCHEMA_EVENT_GRID;
  /* The service accepts an empty subject, so only its type is checked. */
  return (event->id = string_member(obj, "id", false, err)) &&
         (event->type = string_member(obj, "eventType", false, err)) &&
         string_member(obj, "subject", true, err) &&
         string_member(obj, "eventTime", false, err) &&
         data_member(obj, event, err);
}

bool gb_event_parse(const cJSON *value, struct gb_event *event,
                    struct gb_error *err)
{
  const cJSON *id;

  memset(event, 0, sizeof(*event));
  if (!cJSON_IsObject(value))
    return gb_error_set(err, GB_ERR_INVALID, 0, "event",
                        "the event must be a JSON object");
  /* Known early, so that even a malformed event is recorded under its id. */
  id = cJSON_GetObjectItemCaseSensitive(value, "id");
  if (cJSON_IsString(id))
    event->id = id->valuestring;
  if (cJSON_HasObjectItem(value, "specversion"))
    return parse_cloud_event(value, event, err);
  if (cJSON_HasObjectItem(value, "eventType"))
    return parse_event_grid_event(value, event, err);
  /* A CloudEvent that lost its specversion still has "type". */
  if (cJSON_HasObjectItem(value, "type"))
    return gb_error_set(err, GB_ERR_INVALID, 0, "specversion",
                        "event specversion is required for a CloudEvent");
  return gb_error_set(err, GB_ERR_INVALID, 0, "eventType",
                      "event eventType is required");
}

void gb_event_cleanup(struct gb_event *event)
{
  cJSON_Delete(event->owned_data);
  event->owned_data = NULL;
  event->data = NULL;
}
