#include "gb_dispatch.h"

#include <string.h>
#include <strings.h>

#include "fn_game_completed.h"
#include "fn_generate.h"
#include "fn_get_stats.h"
#include "fn_send_result.h"
#include "fn_stats_page.h"
#include "gb_function.h"
#include "gb_json.h"
#include "gb_log.h"
#include "gb_text.h"

/* ================ Route table ================ */

enum route_flags {
  ROUTE_INVOCATION = 1 << 0,  /* body is a host invocation envelope */
  ROUTE_HTTP_TRIGGER = 1 << 1 /* its binding is an HTTP request (Data.req) */
};

struct gb_route {
  const char *method;
  const char *path;
  gb_function *function; /* NULL: the host's readiness probe */
  const char *binding;   /* the trigger's binding in Data */
  unsigned flags;
};

#define HTTP_FUNCTION (ROUTE_INVOCATION | ROUTE_HTTP_TRIGGER)

static const struct gb_route routes[] = {
    {"GET", "/", NULL, NULL, 0},
    {"POST", "/GameCompleted", fn_game_completed, FN_GAME_COMPLETED_BINDING,
     ROUTE_INVOCATION},
    {"POST", "/GetStats", fn_get_stats, GB_HTTP_TRIGGER_BINDING,
     HTTP_FUNCTION},
    {"POST", "/Generate", fn_generate, GB_HTTP_TRIGGER_BINDING,
     HTTP_FUNCTION},
    {"POST", "/SendResult", fn_send_result, GB_HTTP_TRIGGER_BINDING,
     HTTP_FUNCTION},
    {"POST", "/StatsPage", fn_stats_page, GB_HTTP_TRIGGER_BINDING,
     HTTP_FUNCTION},
};

static bool is_json_media_type(const char *content_type)
{
  size_t n = strlen("application/json");

  return content_type &&
         strncasecmp(content_type, "application/json", n) == 0 &&
         (content_type[n] == '\0' || content_type[n] == ';' ||
          content_type[n] == ' ');
}

const struct gb_route *gb_dispatch_route(const struct gb_request *req,
                                         struct gb_error *err)
{
  bool path_known = false;

  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    if (strcmp(routes[i].path, req->path) != 0)
      continue;
    path_known = true;
    if (strcmp(routes[i].method, req->method) != 0)
      continue;
    if ((routes[i].flags & ROUTE_INVOCATION) &&
        !is_json_media_type(req->content_type)) {
      gb_error_set(err, GB_ERR_MEDIA_TYPE, 0, "Content-Type",
                   "invocations must be sent as application/json");
      return NULL;
    }
    return &routes[i];
  }
  if (path_known)
    gb_error_set(err, GB_ERR_METHOD, 0, "method", "%s is not allowed here",
                 req->method);
  else
    gb_error_set(err, GB_ERR_NOT_FOUND, 0, "path",
                 "no function at this path");
  return NULL;
}

/* ================ Replies ================ */

static void set_reply(struct gb_reply *reply, int status, cJSON *body)
{
  cJSON_Delete(reply->body);
  reply->status = status;
  reply->body = body;
}

static void set_error_reply(struct gb_reply *reply,
                            const struct gb_error *err)
{
  set_reply(reply, gb_error_http_status(err), gb_json_error_body(err));
}

/* One stderr line per failed invocation (any reply but 2xx), the only
 * words of a failure the host keeps: it drops the body of a non-2xx reply
 * with its Logs, and logs the handler's stderr at Error. From the reply's
 * error object, whose message never holds a secret (gb_error.h). */
static void log_failure(const struct gb_request *req,
                        const struct gb_reply *reply)
{
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(reply->body, "error");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
  const cJSON *field = cJSON_GetObjectItemCaseSensitive(error, "field");
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
  const cJSON *retryable =
      cJSON_GetObjectItemCaseSensitive(error, "retryable");
  const char *function = req->path + (req->path[0] == '/');
  const char *reason =
      cJSON_IsString(message) ? message->valuestring : "no reason given";
  const char *at = cJSON_IsString(field) ? field->valuestring : "-";
  char name[80], where[80], why[300];

  gb_text_sanitize(name, sizeof(name), function, strlen(function));
  gb_text_sanitize(where, sizeof(where), at, strlen(at));
  gb_text_sanitize(why, sizeof(why), reason, strlen(reason));
  gb_log_error("invocation failed: function=%s invocation=%s status=%d "
               "kind=%s retryable=%s field=%s reason=%s",
               name, gb_invocation_id_loggable(req->invocation_id),
               reply->status,
               cJSON_IsString(code) ? code->valuestring : "internal_error",
               cJSON_IsTrue(retryable) ? "true" : "false", where, why);
}

void gb_dispatch_refuse(const struct gb_request *req,
                        const struct gb_error *err, struct gb_reply *reply)
{
  set_error_reply(reply, err);
  log_failure(req, reply);
}

/* ================ Invocations ================ */

/* Resolves the route's binding into call (and the HTTP request, for an
 * HTTP trigger); *owned as for gb_invocation_binding. */
static bool resolve_input(const struct gb_route *route, struct gb_call *call,
                          cJSON **owned, struct gb_error *err)
{
  call->input = gb_invocation_binding(call->inv, route->binding, owned, err);
  if (!call->input)
    return false;
  return !(route->flags & ROUTE_HTTP_TRIGGER) ||
         gb_http_request_from(call->input, &call->http, err);
}

/* The function's result as the host's reply: 200 with its Outputs and
 * Logs, or err's status with the error and the Logs (which the host drops,
 * but a person calling the handler directly reads). */
static void invocation_reply(const struct gb_route *route,
                             struct gb_call *call, bool ok,
                             struct gb_error *err, struct gb_reply *reply)
{
  cJSON *answer;

  /* An HTTP function always answers in Outputs.res: none means its
   * answer could not be built. */
  if (ok && !call->outputs && (route->flags & ROUTE_HTTP_TRIGGER))
    ok = gb_error_nomem(err);
  if (!ok) {
    set_error_reply(reply, err);
    cJSON_AddItemToObject(reply->body, "Logs", call->inv->logs);
    call->inv->logs = NULL;
    return;
  }
  answer = gb_invocation_reply(call->inv, call->outputs, NULL);
  call->outputs = NULL;
  if (!answer) {
    gb_error_nomem(err);
    set_error_reply(reply, err);
    return;
  }
  set_reply(reply, 200, answer);
}

static void invoke(const struct gb_app *app, const struct gb_route *route,
                   const struct gb_request *req, struct gb_reply *reply)
{
  struct gb_invocation inv;
  struct gb_call call = {.inv = &inv};
  struct gb_error err = {0};
  cJSON *owned = NULL;

  if (!gb_invocation_parse(&inv, req->body, req->body_len, req->invocation_id,
                           &err) ||
      !resolve_input(route, &call, &owned, &err))
    set_error_reply(reply, &err);
  else
    invocation_reply(route, &call, route->function(app, &call, &err), &err,
                     reply);
  cJSON_Delete(call.outputs);
  cJSON_Delete(owned);
  gb_invocation_cleanup(&inv);
}

void gb_dispatch_run(const struct gb_app *app, const struct gb_route *route,
                     const struct gb_request *req, struct gb_reply *reply)
{
  if (!route->function) {
    cJSON *body = cJSON_CreateObject();

    cJSON_AddStringToObject(body, "status", "ready");
    set_reply(reply, 200, body);
    return;
  }
  invoke(app, route, req, reply);
  if (reply->status < 200 || reply->status > 299)
    log_failure(req, reply);
}
