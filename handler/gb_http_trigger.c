#include "gb_http_trigger.h"

#include <string.h>
#include <strings.h>

#include "gb_json.h"

bool gb_http_request_from(const cJSON *req, struct gb_http_request_in *in,
                          struct gb_error *err)
{
  const cJSON *body;

  in->req = req;
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
  cJSON_ArrayForEach(header, in->headers)
  {
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

/* Outputs {"res":{…}} with body as text (NULL: empty) of content_type;
 * literal: text is already a JSON string literal. */
static cJSON *response(int status, const char *content_type, const char *text,
                       bool literal, const char *const *headers)
{
  cJSON *outputs = cJSON_CreateObject();
  cJSON *res = cJSON_AddObjectToObject(outputs, GB_HTTP_TRIGGER_OUTPUT);
  cJSON *names = cJSON_AddObjectToObject(res, "headers");
  cJSON *body;

  cJSON_AddNumberToObject(res, "statusCode", status);
  if (text && content_type)
    cJSON_AddStringToObject(names, "Content-Type", content_type);
  for (; headers && headers[0]; headers += 2)
    cJSON_AddStringToObject(names, headers[0], headers[1]);
  body = literal && text
             ? cJSON_AddRawToObject(res, "body", text)
             : cJSON_AddStringToObject(res, "body", text ? text : "");
  if (!body || !names) {
    cJSON_Delete(outputs);
    return NULL;
  }
  return outputs;
}

cJSON *gb_http_response(int status, cJSON *body, const char *const *headers)
{
  char *text = body ? gb_json_print(body) : NULL;
  cJSON *outputs = body && !text
                       ? NULL
                       : response(status, "application/json; charset=utf-8",
                                  text, false, headers);

  cJSON_free(text);
  cJSON_Delete(body);
  return outputs;
}

cJSON *gb_http_text_response(int status, const char *content_type,
                             const char *text, const char *const *headers)
{
  return response(status, content_type, text, false, headers);
}

cJSON *gb_http_json_literal_response(int status, const char *literal,
                                     const char *const *headers)
{
  return response(status, "application/json; charset=utf-8", literal, true,
                  headers);
}

char *gb_http_body_literal(cJSON *body)
{
  char *text = body ? gb_json_print(body) : NULL;
  cJSON *string = text ? cJSON_CreateString(text) : NULL;
  char *literal = string ? gb_json_print(string) : NULL;

  cJSON_Delete(string);
  cJSON_free(text);
  cJSON_Delete(body);
  return literal;
}

bool gb_http_etag_matches(const char *if_none_match, const char *etag)
{
  const char *p = if_none_match;
  size_t len = strlen(etag);

  if (!p)
    return false;
  while (*p) {
    p += strspn(p, " ,");
    if (*p == '*')
      return true;
    if (strncmp(p, "W/", 2) == 0)
      p += 2; /* weak comparison, as RFC 9110 asks for If-None-Match */
    if (strncmp(p, etag, len) == 0 &&
        (p[len] == '\0' || p[len] == ',' || p[len] == ' '))
      return true;
    p += strcspn(p, ",");
  }
  return false;
}
