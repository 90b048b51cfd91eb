#include "gb_http_trigger.h"

#include <strings.h>

#include "gb_http.h"
#include "gb_json.h"

bool gb_http_request_read(const struct gb_invocation *inv,
                          struct gb_http_request_in *in, cJSON **owned,
                          struct gb_error *err)
{
  const cJSON *body;

  in->req = gb_invocation_binding(inv, GB_HTTP_TRIGGER_BINDING, owned, err);
  if (!in->req)
    return false;
  if (!cJSON_IsObject(in->req))
    return gb_error_set(err, GB_ERR_INVALID, 0, "Data.req",
                        "Data.req must be the HTTP request object");
  body = cJSON_GetObjectItemCaseSensitive(in->req, "Body");
  in->body = cJSON_IsString(body) ? body->valuestring : NULL;
  in->params = cJSON_GetObjectItemCaseSensitive(in->req, "Params");
  if (!cJSON_IsObject(in->params))
    in->params = NULL;
  in->headers = cJSON_GetObjectItemCaseSensitive(in->req, "Headers");
  if (!cJSON_IsObject(in->headers))
    in->headers = NULL;
  return true;
}

const char *gb_http_request_header(const struct gb_http_request_in *in,
                                   const char *name)
{
  const cJSON *header;

  if (!in->headers)
    return NULL;
  cJSON_ArrayForEach(header, in->headers) {
    if (!header->string || strcasecmp(header->string, name) != 0)
      continue;
    if (cJSON_IsString(header))
      return header->valuestring;
    if (cJSON_IsArray(header) && cJSON_IsString(header->child))
      return header->child->valuestring;
  }
  return NULL;
}

const char *gb_http_request_param(const struct gb_http_request_in *in,
                                  const char *name)
{
  const cJSON *param =
      in->params ? cJSON_GetObjectItemCaseSensitive(in->params, name) : NULL;

  return cJSON_IsString(param) ? param->valuestring : NULL;
}

cJSON *gb_http_response(int status, cJSON *body, const char *const *headers)
{
  cJSON *outputs = cJSON_CreateObject();
  cJSON *res = cJSON_AddObjectToObject(outputs, GB_HTTP_TRIGGER_OUTPUT);
  cJSON *names = cJSON_AddObjectToObject(res, "headers");
  char *text = body ? gb_json_print(body) : NULL;

  cJSON_AddNumberToObject(res, "statusCode", status);
  if (body)
    cJSON_AddStringToObject(names, "Content-Type",
                            "application/json; charset=utf-8");
  for (; headers && headers[0]; headers += 2)
    cJSON_AddStringToObject(names, headers[0], headers[1]);
  cJSON_AddStringToObject(res, "body", text ? text : "");
  cJSON_free(text);
  cJSON_Delete(body);
  if (!res || !names) {
    cJSON_Delete(outputs);
    return NULL;
  }
  return outputs;
}

void gb_http_finish(struct gb_reply *reply, struct gb_invocation *inv,
                    cJSON *outputs)
{
  cJSON *answer = outputs ? gb_invocation_reply(inv, outputs, NULL) : NULL;
  struct gb_error err;

  if (!answer) {
    gb_error_set(&err, GB_ERR_INTERNAL, 0, "", "out of memory");
    gb_reply_error(reply, &err);
    return;
  }
  gb_reply_json(reply, 200, answer);
}

cJSON *gb_http_error_body(const struct gb_error *err)
{
  struct gb_reply scratch = {0, NULL};

  gb_reply_error(&scratch, err);
  return scratch.body;
}
