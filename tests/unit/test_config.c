#include "gb_config.h"
#include "gb_test.h"

#define SECRET "mongodb://user:TopSecretKey%3D%3D@db.example:10255/?ssl=true"

/* A fake environment: pairs of name and value, ending in NULL. */
static const char *lookup(const char *name, void *ctx)
{
  const char *const *pairs = ctx;

  for (; pairs[0]; pairs += 2)
    if (strcmp(pairs[0], name) == 0)
      return pairs[1];
  return NULL;
}

static bool load(const char *const *env, struct gb_config *cfg,
                 struct gb_error *err)
{
  gb_error_clear(err);
  return gb_config_load(cfg, lookup, (void *)env, err);
}

static void test_defaults(void)
{
  const char *env[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "7071",
                       "COSMOS_CONNECTION_STRING", SECRET, NULL};
  struct gb_config cfg;
  struct gb_error err;

  CHECK(load(env, &cfg, &err));
  CHECK_INT(cfg.port, 7071);
  CHECK_STR(cfg.connection_string, SECRET);
  CHECK_STR(cfg.database, "rockpaperscissors");
  CHECK_INT(cfg.ttl_seconds, 86400);
  CHECK_INT(cfg.threads, 32);
  CHECK_INT(cfg.db_clients, 32);
  CHECK_INT(cfg.keep_alive_ms, 5000);
  CHECK_INT(cfg.max_body_bytes, 4194304);
  CHECK_INT(cfg.request_timeout_ms, 30000);
}

static void test_overrides(void)
{
  const char *env[] = {"FUNCTIONS_HTTPWORKER_PORT",
                       "9000",
                       "COSMOS_CONNECTION_STRING",
                       SECRET,
                       "COSMOS_DATABASE",
                       "leaderboard_2",
                       "LEADERBOARD_TTL_SECONDS",
                       "200",
                       "GRIDBOARD_THREADS",
                       "8",
                       "GRIDBOARD_DB_CLIENTS",
                       "3",
                       "GRIDBOARD_KEEP_ALIVE_MS",
                       "60000",
                       "GRIDBOARD_MAX_BODY_BYTES",
                       "65536",
                       "GRIDBOARD_REQUEST_TIMEOUT_MS",
                       "5000",
                       NULL};
  struct gb_config cfg;
  struct gb_error err;

  CHECK(load(env, &cfg, &err));
  CHECK_INT(cfg.port, 9000); /* the legacy name, when the new one is unset */
  CHECK_STR(cfg.database, "leaderboard_2");
  CHECK_INT(cfg.ttl_seconds, 200);
  CHECK_INT(cfg.threads, 8);
  CHECK_INT(cfg.db_clients, 3); /* bounded apart from the threads */
  CHECK_INT(cfg.keep_alive_ms, 60000);
  CHECK_INT(cfg.max_body_bytes, 65536);
  CHECK_INT(cfg.request_timeout_ms, 5000);
}

static void expect_error(const char *const *env, const char *field)
{
  struct gb_config cfg;
  struct gb_error err;

  CHECK(!load(env, &cfg, &err));
  CHECK_INT(err.kind, GB_ERR_CONFIG);
  CHECK_STR(err.field, field);
  CHECK(strstr(err.message, field) != NULL);
  CHECK(strstr(err.message, "TopSecretKey") == NULL);
}

static void test_errors(void)
{
  const char *no_port[] = {"COSMOS_CONNECTION_STRING", SECRET, NULL};
  const char *empty_port[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "",
                              "COSMOS_CONNECTION_STRING", SECRET, NULL};
  const char *bad_port[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "80a",
                            "COSMOS_CONNECTION_STRING", SECRET, NULL};
  const char *zero_port[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "0",
                             "COSMOS_CONNECTION_STRING", SECRET, NULL};
  const char *big_port[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "65536",
                            "COSMOS_CONNECTION_STRING", SECRET, NULL};
  const char *no_db[] = {"FUNCTIONS_CUSTOMHANDLER_PORT", "7071", NULL};
  const char *bad_name[] = {"FUNCTIONS_CUSTOMHANDLER_PORT",
                            "7071",
                            "COSMOS_CONNECTION_STRING",
                            SECRET,
                            "COSMOS_DATABASE",
                            "rock.paper",
                            NULL};
  const char *bad_ttl[] = {"FUNCTIONS_CUSTOMHANDLER_PORT",
                           "7071",
                           "COSMOS_CONNECTION_STRING",
                           SECRET,
                           "LEADERBOARD_TTL_SECONDS",
                           "-5",
                           NULL};
  const char *bad_threads[] = {"FUNCTIONS_CUSTOMHANDLER_PORT",
                               "7071",
                               "COSMOS_CONNECTION_STRING",
                               SECRET,
                               "GRIDBOARD_THREADS",
                               "99999999999999999999",
                               NULL};

  expect_error(no_port, "FUNCTIONS_CUSTOMHANDLER_PORT");
  expect_error(empty_port, "FUNCTIONS_CUSTOMHANDLER_PORT");
  expect_error(bad_port, "FUNCTIONS_CUSTOMHANDLER_PORT");
  expect_error(zero_port, "FUNCTIONS_CUSTOMHANDLER_PORT");
  expect_error(big_port, "FUNCTIONS_CUSTOMHANDLER_PORT");
  expect_error(no_db, "COSMOS_CONNECTION_STRING");
  expect_error(bad_name, "COSMOS_DATABASE");
  expect_error(bad_ttl, "LEADERBOARD_TTL_SECONDS");
  expect_error(bad_threads, "GRIDBOARD_THREADS");
}

#define BASE                                                                 \
  "FUNCTIONS_CUSTOMHANDLER_PORT", "7071", "COSMOS_CONNECTION_STRING", SECRET

static void test_event_grid(void)
{
  const char *none[] = {BASE, NULL};
  const char *full[] = {
      BASE,
      "EVENT_GRID_TOPIC_ENDPOINT",
      "https://t.westeurope-1.eventgrid.azure.net/api/events",
      "EVENT_GRID_TOPIC_KEY",
      "a2V5",
      "EVENT_GRID_AUTH",
      "SAS",
      "EVENT_GRID_SCHEMA",
      "cloudevents",
      "EVENT_GRID_TIMEOUT_MS",
      "2000",
      "EVENT_GRID_DEADLINE_MS",
      "9000",
      NULL};
  const char *local[] = {BASE,
                         "EVENT_GRID_TOPIC_ENDPOINT",
                         "http://127.0.0.1:9999/api/events",
                         "EVENT_GRID_TOPIC_KEY",
                         "a2V5",
                         NULL};
  const char *plain[] = {BASE,
                         "EVENT_GRID_TOPIC_ENDPOINT",
                         "http://t.eventgrid.azure.net/api/events",
                         "EVENT_GRID_TOPIC_KEY",
                         "a2V5",
                         NULL};
  const char *no_key[] = {BASE, "EVENT_GRID_TOPIC_ENDPOINT",
                          "https://t.eventgrid.azure.net/api/events", NULL};
  const char *query[] = {BASE,
                         "EVENT_GRID_TOPIC_ENDPOINT",
                         "https://t/api/events?api-version=2018-01-01",
                         "EVENT_GRID_TOPIC_KEY",
                         "a2V5",
                         NULL};
  const char *bad_auth[] = {BASE,         "EVENT_GRID_TOPIC_ENDPOINT",
                            "https://t/", "EVENT_GRID_TOPIC_KEY",
                            "a2V5",       "EVENT_GRID_AUTH",
                            "bearer",     NULL};
  const char *bad_ca[] = {BASE,
                          "EVENT_GRID_TOPIC_ENDPOINT",
                          "https://t/",
                          "EVENT_GRID_TOPIC_KEY",
                          "a2V5",
                          "EVENT_GRID_CA_FILE",
                          "/nonexistent/ca.pem",
                          NULL};
  struct gb_config cfg;
  struct gb_error err;

  CHECK(load(none, &cfg, &err));
  CHECK(cfg.eg_endpoint == NULL);
  CHECK(load(full, &cfg, &err));
  CHECK(cfg.eg_sas);
  CHECK(cfg.eg_cloud_events);
  CHECK_INT(cfg.eg_timeout_ms, 2000);
  CHECK_INT(cfg.eg_deadline_ms, 9000);
  CHECK_STR(cfg.eg_source, "/gridboard/SendResult");
  CHECK(load(local, &cfg, &err));
  CHECK(!cfg.eg_sas);
  CHECK_INT(cfg.eg_timeout_ms, 5000);
  CHECK_INT(cfg.eg_deadline_ms, 15000);
  expect_error(plain, "EVENT_GRID_TOPIC_ENDPOINT");
  expect_error(no_key, "EVENT_GRID_TOPIC_KEY");
  expect_error(query, "EVENT_GRID_TOPIC_ENDPOINT");
  expect_error(bad_auth, "EVENT_GRID_AUTH");
  expect_error(bad_ca, "EVENT_GRID_CA_FILE");
}

static void test_loopback(void)
{
  CHECK(gb_config_url_is_loopback("http://127.0.0.1:8080/api/events"));
  CHECK(gb_config_url_is_loopback("http://127.1.2.3/"));
  CHECK(gb_config_url_is_loopback("http://localhost:1/"));
  CHECK(gb_config_url_is_loopback("http://[::1]:80/x"));
  CHECK(!gb_config_url_is_loopback("http://127.0.0.1.example.com/"));
  CHECK(!gb_config_url_is_loopback("http://localhost.example.com/"));
  CHECK(!gb_config_url_is_loopback("http://10.0.0.1/"));
  CHECK(!gb_config_url_is_loopback("http://[::1].x/"));
  CHECK(!gb_config_url_is_loopback("127.0.0.1"));
}

int main(void)
{
  test_event_grid();
  test_loopback();
  test_defaults();
  test_overrides();
  test_errors();
  return gb_test_report("config");
}
