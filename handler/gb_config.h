/* gb_config: every setting gridboard reads, checked once at start-up.
 *
 * Settings come from the environment (app settings in Azure, Values in
 * local.settings.json under the Functions host). A bad setting is reported
 * by name; the value of a secret is never printed. */
#ifndef GB_CONFIG_H
#define GB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gb_error.h"

struct gb_config {
  int port;                      /* FUNCTIONS_CUSTOMHANDLER_PORT */
  const char *connection_string; /* COSMOS_CONNECTION_STRING (secret) */
  const char *database;          /* COSMOS_DATABASE */
  long ttl_seconds;              /* LEADERBOARD_TTL_SECONDS */
  long refresh_ms;               /* LEADERBOARD_REFRESH_MS */
  long cache_ms;                 /* LEADERBOARD_CACHE_MS */
  int threads;                   /* GRIDBOARD_THREADS */
  int db_clients;                /* GRIDBOARD_DB_CLIENTS: pool bound */
  long keep_alive_ms;            /* GRIDBOARD_KEEP_ALIVE_MS */
  size_t max_body_bytes;         /* GRIDBOARD_MAX_BODY_BYTES */
  long request_timeout_ms;       /* GRIDBOARD_REQUEST_TIMEOUT_MS */
  bool enable_generate;          /* GRIDBOARD_ENABLE_GENERATE */

  /* Publishing to Event Grid (SendResult); all unset when eg_endpoint is
   * NULL, which leaves SendResult unconfigured. */
  const char *eg_endpoint; /* EVENT_GRID_TOPIC_ENDPOINT */
  const char *eg_key;      /* EVENT_GRID_TOPIC_KEY (secret) */
  bool eg_sas;             /* EVENT_GRID_AUTH: "key" or "sas" */
  bool eg_cloud_events;    /* EVENT_GRID_SCHEMA */
  const char *eg_ca_file;  /* EVENT_GRID_CA_FILE, or NULL */
  const char *eg_source;   /* EVENT_GRID_SOURCE (CloudEvents) */
  long eg_timeout_ms;      /* EVENT_GRID_TIMEOUT_MS, per attempt */
  long eg_deadline_ms;     /* EVENT_GRID_DEADLINE_MS, all attempts */
};

/* Reads a setting by name; NULL when unset. getenv in production. */
typedef const char *(*gb_config_lookup)(const char *name, void *ctx);

/* Fills *cfg from lookup. On failure returns false with err
 * (GB_ERR_CONFIG) naming the setting in err->field. String members point
 * into the lookup's storage, which must outlive cfg. */
bool gb_config_load(struct gb_config *cfg, gb_config_lookup lookup, void *ctx,
                    struct gb_error *err);

/* True when url's host is a loopback address (127.0.0.0/8, ::1 or
 * localhost), the only hosts reached without TLS. */
bool gb_config_url_is_loopback(const char *url);

/* A lookup that reads the process environment. */
const char *gb_config_getenv(const char *name, void *ctx);

#endif
