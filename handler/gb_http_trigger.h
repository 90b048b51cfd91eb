/* gb_http_trigger: the HTTP request an httpTrigger function receives in
 * Data.req, and the HTTP answer it returns in Outputs.res.
 *
 * In:  Data.req = {"Url","Method","Query":{…},"Headers":{"Name":["v"]},
 *                  "Params":{…},"Identities":[…],"Body":"<raw text>"}
 *      (Body only when the request had a Content-Length above 0)
 * Out: Outputs.res = {"statusCode":N,"headers":{"Name":"v"},"body":"…"}
 * (contracts/functions-host.md §3.3, §4). */
#ifndef GB_HTTP_TRIGGER_H
#define GB_HTTP_TRIGGER_H

#include <cjson/cJSON.h>

#include <stdbool.h>

#include "gb_error.h"

#define GB_HTTP_TRIGGER_BINDING "req"
#define GB_HTTP_TRIGGER_OUTPUT "res"

struct gb_http_request_in {
  const cJSON *req;     /* Data.req */
  const char *body;     /* Body, or NULL when the request had none */
  const cJSON *params;  /* route parameters, or NULL */
  const cJSON *headers; /* header name -> array of values, or NULL */
};

/* Reads the request from req, the value of binding
 * GB_HTTP_TRIGGER_BINDING; in points into req. */
bool gb_http_request_from(const cJSON *req, struct gb_http_request_in *in,
                          struct gb_error *err);

/* The first value of a request header (names compared case-insensitively),
 * or NULL. */
const char *gb_http_request_header(const struct gb_http_request_in *in,
                                   const char *name);

/* A route parameter as a string, or NULL. */
const char *gb_http_request_param(const struct gb_http_request_in *in,
                                  const char *name);

/* Outputs {"res":{…}} for status, with body (taken over; NULL for an empty
 * body) sent as application/json, and extra headers given as name, value
 * pairs ending in NULL. */
cJSON *gb_http_response(int status, cJSON *body, const char *const *headers);

/* The same for a text body (NULL for an empty one) of content_type. */
cJSON *gb_http_text_response(int status, const char *content_type,
                             const char *text, const char *const *headers);

/* The same for a JSON body already printed as a JSON string literal
 * (quoted and escaped, as the envelope carries it): put in as it is. */
cJSON *gb_http_json_literal_response(int status, const char *literal,
                                     const char *const *headers);

/* A JSON body printed as the JSON string literal the envelope carries
 * (cJSON_free it), or NULL when out of memory; body is taken over. */
char *gb_http_body_literal(cJSON *body);

/* True when an If-None-Match value lists etag (or is "*"), compared weakly
 * as RFC 9110 asks. */
bool gb_http_etag_matches(const char *if_none_match, const char *etag);

#endif
