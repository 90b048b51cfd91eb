/* gb_http: the request a function receives and the reply it gives, free of
 * the HTTP server library, so functions are tested without a server. */
#ifndef GB_HTTP_H
#define GB_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "gb_body_cache.h"
#include "gb_config.h"
#include "gb_error.h"
#include "gb_publisher.h"
#include "gb_store.h"

/* What every function may use; read-only once the server runs (the store
 * is thread-safe on its own). */
struct gb_app {
  const struct gb_config *config;
  struct gb_store *store;
  struct gb_publisher *publisher;     /* NULL when publishing is not set up */
  struct gb_body_cache *stats_bodies; /* GetStats' bodies; NULL: none kept */
};

struct gb_request {
  const char *invocation_id; /* X-Azure-Functions-InvocationId, or NULL */
  const char *body;          /* not NUL-terminated */
  size_t body_len;
};

struct gb_reply {
  int status;
  cJSON *body; /* owned; sent as application/json ({} when NULL) */
};

/* err as the body every error reply carries:
 * {"error":{"code":"<kind>","field":"<field>","message":"...",
 *           "retryable":bool}}. */
cJSON *gb_error_body(const struct gb_error *err);

/* Sets reply to err's status with gb_error_body(err). */
void gb_reply_error(struct gb_reply *reply, const struct gb_error *err);

/* Sets reply to status with body (taken over). */
void gb_reply_json(struct gb_reply *reply, int status, cJSON *body);

#endif
