#include "gb_config.h"

#include "gb_store.h"
#include "gb_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_DATABASE "rockpaperscissors"

const char *gb_config_getenv(const char *name, void *ctx)
{
  (void)ctx;
  return getenv(name);
}

static const char *setting(gb_config_lookup lookup, void *ctx,
                           const char *name)
{
  const char *v = lookup(name, ctx);

  return v && *v ? v : NULL;
}

/* Parses a whole decimal integer in [min, max]; the message quotes the
 * value, so this is used only for settings that are not secret. */
static bool integer_setting(gb_config_lookup lookup, void *ctx,
                            const char *name, long def, long min, long max,
                            long *out, struct gb_error *err)
{
  const char *v = setting(lookup, ctx, name);
  char *end;
  long n;

  if (!v) {
    *out = def;
    return true;
  }
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < min || n > max)
    return gb_error_set(err, GB_ERR_CONFIG, 0, name,
                        "%s must be a whole number from %ld to %ld", name,
                        min, max);
  *out = n;
  return true;
}

static bool database_name_valid(const char *name)
{
  size_t len = strlen(name), i;

  if (len == 0 || len > 63)
    return false;
  for (i = 0; i < len; i++) {
    char c = name[i];
    if (!(gb_ascii_alpha(c) ||
          (i > 0 && (gb_ascii_digit(c) || c == '_' || c == '-'))))
      return false;
  }
  return true;
}

bool gb_config_url_is_loopback(const char *url)
{
  const char *host = strstr(url, "://");
  size_t len;

  if (!host)
    return false;
  host += 3;
  if (strncmp(host, "[::1]", 5) == 0)
    return host[5] == '\0' || host[5] == ':' || host[5] == '/';
  len = strcspn(host, ":/?#");
  if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
    return true;
  /* 127.x.y.z, written as digits and dots only */
  if (len < 9 || strncmp(host, "127.", 4) != 0)
    return false;
  for (size_t i = 4; i < len; i++)
    if (!(gb_ascii_digit(host[i]) || host[i] == '.'))
      return false;
  return true;
}

/* One word out of a fixed set; *index receives its position. */
static bool choice_setting(gb_config_lookup lookup, void *ctx,
                           const char *name, const char *const *choices,
                           int *index, struct gb_error *err)
{
  const char *v = setting(lookup, ctx, name);
  int i;

  *index = 0;
  if (!v)
    return true;
  for (i = 0; choices[i]; i++) {
    if (strcasecmp(v, choices[i]) == 0) {
      *index = i;
      return true;
    }
  }
  return gb_error_set(err, GB_ERR_CONFIG, 0, name, "%s must be %s or %s",
                      name, choices[0], choices[1]);
}

/* "true" or "false" (any case); unset is false. */
static bool bool_setting(gb_config_lookup lookup, void *ctx, const char *name,
                         bool *out, struct gb_error *err)
{
  static const char *const switches[] = {"false", "true", NULL};
  int on;

  if (!choice_setting(lookup, ctx, name, switches, &on, err))
    return false;
  *out = on == 1;
  return true;
}

static bool event_grid_settings(struct gb_config *cfg,
                                gb_config_lookup lookup, void *ctx,
                                struct gb_error *err)
{
  static const char *const auths[] = {"key", "sas", NULL};
  static const char *const schemas[] = {"eventgrid", "cloudevents", NULL};
  const char *e;
  int auth, schema;

  cfg->eg_endpoint = e = setting(lookup, ctx, "EVENT_GRID_TOPIC_ENDPOINT");
  if (!e)
    return true;
  if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0)
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_ENDPOINT",
                        "EVENT_GRID_TOPIC_ENDPOINT must be an https:// URL");
  if (strncmp(e, "http://", 7) == 0 && !gb_config_url_is_loopback(e))
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_ENDPOINT",
                        "EVENT_GRID_TOPIC_ENDPOINT must use https:// unless "
                        "it is a loopback address");
  if (strpbrk(e, "?# ") || strlen(e) > 300)
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_ENDPOINT",
                        "EVENT_GRID_TOPIC_ENDPOINT must be the topic URL "
                        "without query, at most 300 characters");
  cfg->eg_key = setting(lookup, ctx, "EVENT_GRID_TOPIC_KEY");
  if (!cfg->eg_key)
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_KEY",
                        "EVENT_GRID_TOPIC_KEY is not set: it must hold the "
                        "topic's access key");
  if (!choice_setting(lookup, ctx, "EVENT_GRID_AUTH", auths, &auth, err) ||
      !choice_setting(lookup, ctx, "EVENT_GRID_SCHEMA", schemas, &schema,
                      err))
    return false;
  cfg->eg_sas = auth == 1;
  cfg->eg_cloud_events = schema == 1;
  cfg->eg_ca_file = setting(lookup, ctx, "EVENT_GRID_CA_FILE");
  if (cfg->eg_ca_file && access(cfg->eg_ca_file, R_OK) != 0)
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_CA_FILE",
                        "EVENT_GRID_CA_FILE is not a readable file");
  cfg->eg_source = setting(lookup, ctx, "EVENT_GRID_SOURCE");
  if (!cfg->eg_source)
    cfg->eg_source = "/gridboard/SendResult";
  return integer_setting(lookup, ctx, "EVENT_GRID_TIMEOUT_MS", 5000, 100,
                         60000, &cfg->eg_timeout_ms, err) &&
         integer_setting(lookup, ctx, "EVENT_GRID_DEADLINE_MS", 15000, 100,
                         120000, &cfg->eg_deadline_ms, err);
}

bool gb_config_load(struct gb_config *cfg, gb_config_lookup lookup, void *ctx,
                    struct gb_error *err)
{
  long port, ttl, refresh_ms, cache_ms, threads, body, timeout, db_clients;
  long keep_alive;
  const char *port_name = "FUNCTIONS_CUSTOMHANDLER_PORT";

  memset(cfg, 0, sizeof(*cfg));
  /* The host sets both names; the legacy one is a fallback only. */
  if (!setting(lookup, ctx, port_name) &&
      setting(lookup, ctx, "FUNCTIONS_HTTPWORKER_PORT"))
    port_name = "FUNCTIONS_HTTPWORKER_PORT";
  if (!setting(lookup, ctx, port_name))
    return gb_error_set(err, GB_ERR_CONFIG, 0, port_name,
                        "%s is not set: the Functions host sets it to the "
                        "port the handler must listen on",
                        port_name);
  if (!integer_setting(lookup, ctx, port_name, 0, 1, 65535, &port, err))
    return false;

  cfg->connection_string = setting(lookup, ctx, "COSMOS_CONNECTION_STRING");
  if (!cfg->connection_string)
    return gb_error_set(err, GB_ERR_CONFIG, 0, "COSMOS_CONNECTION_STRING",
                        "COSMOS_CONNECTION_STRING is not set: it must hold "
                        "a mongodb:// connection string");

  cfg->database = setting(lookup, ctx, "COSMOS_DATABASE");
  if (!cfg->database)
    cfg->database = DEFAULT_DATABASE;
  if (!database_name_valid(cfg->database))
    return gb_error_set(err, GB_ERR_CONFIG, 0, "COSMOS_DATABASE",
                        "COSMOS_DATABASE must be 1 to 63 characters: a "
                        "letter, then letters, digits, '_' or '-'");

  if (!integer_setting(lookup, ctx, "LEADERBOARD_TTL_SECONDS", 86400, 1,
                       31536000, &ttl, err) ||
      !integer_setting(lookup, ctx, "LEADERBOARD_REFRESH_MS",
                       GB_STORE_REFRESH_INTERVAL_MS, 0, 60000, &refresh_ms,
                       err) ||
      !integer_setting(lookup, ctx, "LEADERBOARD_CACHE_MS", 1000, 0, 60000,
                       &cache_ms, err) ||
      !integer_setting(lookup, ctx, "GRIDBOARD_THREADS", 32, 1, 512, &threads,
                       err) ||
      !integer_setting(lookup, ctx, "GRIDBOARD_DB_CLIENTS", 32, 1, 512,
                       &db_clients, err) ||
      !integer_setting(lookup, ctx, "GRIDBOARD_KEEP_ALIVE_MS", 5000, 100,
                       600000, &keep_alive, err) ||
      !integer_setting(lookup, ctx, "GRIDBOARD_MAX_BODY_BYTES", 4194304, 1024,
                       67108864, &body, err) ||
      !integer_setting(lookup, ctx, "GRIDBOARD_REQUEST_TIMEOUT_MS", 30000,
                       100, 600000, &timeout, err))
    return false;

  if (!event_grid_settings(cfg, lookup, ctx, err))
    return false;
  if (!bool_setting(lookup, ctx, "GRIDBOARD_ENABLE_GENERATE",
                    &cfg->enable_generate, err))
    return false;

  cfg->port = (int)port;
  cfg->ttl_seconds = ttl;
  cfg->refresh_ms = refresh_ms;
  cfg->cache_ms = cache_ms;
  cfg->threads = (int)threads;
  cfg->db_clients = (int)db_clients;
  cfg->keep_alive_ms = keep_alive;
  cfg->max_body_bytes = (size_t)body;
  cfg->request_timeout_ms = timeout;
  return true;
}
