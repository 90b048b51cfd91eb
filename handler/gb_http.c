#include "gb_http.h"

void gb_reply_json(struct gb_reply *reply, int status, cJSON *body)
{
  cJSON_Delete(reply->body);
  reply->status = status;
  reply->body = body;
}

cJSON *gb_error_body(const struct gb_error *err)
{
  cJSON *body = cJSON_CreateObject();
  cJSON *error = cJSON_AddObjectToObject(body, "error");

  cJSON_AddStringToObject(error, "code", gb_error_kind_name(err->kind));
  if (err->field[0])
    cJSON_AddStringToObject(error, "field", err->field);
  cJSON_AddStringToObject(error, "message", err->message);
  cJSON_AddBoolToObject(error, "retryable", gb_error_retryable(err));
  return body;
}

void gb_reply_error(struct gb_reply *reply, const struct gb_error *err)
{
  gb_reply_json(reply, gb_error_http_status(err), gb_error_body(err));
}
