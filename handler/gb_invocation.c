#include "gb_invocation.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gb_json.h"
#include "gb_text.h"

const char *gb_invocation_id_loggable(const char *id)
{
  if (!id || !*id || strlen(id) > GB_INVOCATION_ID_MAX ||
      !gb_ascii_word(id, "-_."))
    return "-";
  return id;
}

static void keep_invocation_id(struct gb_invocation *inv, const char *id)
{
  snprintf(inv->id, sizeof(inv->id), "%s", gb_invocation_id_loggable(id));
}

bool gb_invocation_parse(struct gb_invocation *inv, const char *body,
                         size_t len, const char *invocation_id,
                         struct gb_error *err)
{
  const cJSON *metadata;

  memset(inv, 0, sizeof(*inv));
  keep_invocation_id(inv, invocation_id);
  inv->logs = cJSON_CreateArray();
  if (!inv->logs)
    return gb_error_nomem(err);
  inv->root = gb_json_parse(body, len, "body", err);
  if (!inv->root)
    return false;
  if (!cJSON_IsObject(inv->root))
    return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                        "the invocation body must be a JSON object");
  inv->data = cJSON_GetObjectItemCaseSensitive(inv->root, "Data");
  if (!cJSON_IsObject(inv->data))
    return gb_error_set(err, GB_ERR_INVALID, 0, "Data",
                        "the invocation body needs a Data object");
  metadata = cJSON_GetObjectItemCaseSensitive(inv->root, "Metadata");
  if (metadata && !cJSON_IsNull(metadata) && !cJSON_IsObject(metadata))
    return gb_error_set(err, GB_ERR_INVALID, 0, "Metadata",
                        "Metadata must be an object");
  inv->metadata = cJSON_IsObject(metadata) ? metadata : NULL;
  return true;
}

const cJSON *gb_invocation_binding(const struct gb_invocation *inv,
                                   const char *name, cJSON **owned,
                                   struct gb_error *err)
{
  const cJSON *value = cJSON_GetObjectItemCaseSensitive(inv->data, name);
  char field[64];

  *owned = NULL;
  snprintf(field, sizeof(field), "Data.%s", name);
  if (!value || cJSON_IsNull(value)) {
    gb_error_set(err, GB_ERR_INVALID, 0, field, "%s is required", field);
    return NULL;
  }
  return gb_json_unwrap(value, 2, field, owned, err);
}

void gb_invocation_log(struct gb_invocation *inv, const char *fmt, ...)
{
  char raw[512], line[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  gb_text_sanitize(line, sizeof(line), raw, strlen(raw));
  if (inv->logs)
    cJSON_AddItemToArray(inv->logs, cJSON_CreateString(line));
}

cJSON *gb_invocation_reply(struct gb_invocation *inv, cJSON *outputs,
                           cJSON *return_value)
{
  cJSON *reply = cJSON_CreateObject();

  if (!outputs)
    outputs = cJSON_CreateObject();
  if (!return_value)
    return_value = cJSON_CreateNull();
  if (!reply || !outputs || !return_value || !inv->logs) {
    cJSON_Delete(reply);
    cJSON_Delete(outputs);
    cJSON_Delete(return_value);
    return NULL;
  }
  cJSON_AddItemToObject(reply, "Outputs", outputs);
  cJSON_AddItemToObject(reply, "Logs", inv->logs);
  inv->logs = NULL;
  cJSON_AddItemToObject(reply, "ReturnValue", return_value);
  return reply;
}

void gb_invocation_cleanup(struct gb_invocation *inv)
{
  cJSON_Delete(inv->root);
  cJSON_Delete(inv->logs);
  inv->root = NULL;
  inv->logs = NULL;
  inv->data = NULL;
  inv->metadata = NULL;
}
