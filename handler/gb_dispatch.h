/* gb_dispatch: every request, from the host's call to the reply. It looks
 * the route up, parses the invocation envelope, resolves the trigger's
 * binding, runs the function (gb_function.h) and builds the reply; a
 * failed invocation also gets one stderr line, the only words of it the
 * host keeps. Free of the HTTP server library (gb_server reads and sends),
 * so it is tested without a server. */
#ifndef GB_DISPATCH_H
#define GB_DISPATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "gb_app.h"
#include "gb_error.h"

struct gb_request {
  const char *method;
  const char *path;
  const char *content_type;  /* or NULL */
  const char *invocation_id; /* X-Azure-Functions-InvocationId, or NULL */
  const char *body;          /* NUL-terminated, or NULL when empty */
  size_t body_len;
};

struct gb_reply {
  int status;
  cJSON *body; /* owned; sent as application/json ({} when NULL) */
};

struct gb_route;

/* The route for req's method and path, its body's media type checked
 * (invocations are application/json); NULL with err (404, 405 or 415). */
const struct gb_route *gb_dispatch_route(const struct gb_request *req,
                                         struct gb_error *err);

/* Answers req on route: the readiness probe, or an invocation of the
 * route's function. */
void gb_dispatch_run(const struct gb_app *app, const struct gb_route *route,
                     const struct gb_request *req, struct gb_reply *reply);

/* Answers req with err, for a request refused before its function ran. */
void gb_dispatch_refuse(const struct gb_request *req,
                        const struct gb_error *err, struct gb_reply *reply);

#endif
