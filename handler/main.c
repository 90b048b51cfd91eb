/* gridboard: the custom handler process the Azure Functions host starts.
 *
 * Reads and checks its settings, serves the functions on
 * 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT, then warms up what the first
 * invocation needs (OpenSSL, libcurl, the database pool: none of it on the
 * path to the host's first GET /), and on SIGTERM or SIGINT stops
 * accepting, lets requests in flight finish, closes the pool and exits 0. A
 * bad setting exits 1 naming the setting (the host then restarts the handler
 * and reports the stderr line). --help prints the settings it reads and
 * --version its version; both exit 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

#include "gb_app.h"
#include "gb_body_cache.h"
#include "gb_config.h"
#include "gb_leaderboard.h"
#include "gb_log.h"
#include "gb_publisher.h"
#include "gb_server.h"
#include "gb_store.h"
#include "gb_tls.h"

#ifndef GB_VERSION
#define GB_VERSION "unknown"
#endif

static const char usage[] =
    "Usage: gridboard-handler [--help | --version]\n"
    "\n"
    "The custom handler of the gridboard Functions app. The Functions host\n"
    "starts it (host.json customHandler) and sends it invocations on\n"
    "127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT. It takes no arguments; every\n"
    "setting comes from the environment (app settings in Azure, Values in\n"
    "local.settings.json locally) and is checked at start-up: a bad one\n"
    "stops it with exit code 1 and a line naming the setting.\n"
    "\n"
    "Settings (docs/functions-and-settings.md):\n"
    "  FUNCTIONS_CUSTOMHANDLER_PORT  port to listen on (set by the host;\n"
    "                                FUNCTIONS_HTTPWORKER_PORT when unset)\n"
    "  COSMOS_CONNECTION_STRING      mongodb:// URI (required, secret)\n"
    "  COSMOS_DATABASE               database name (rockpaperscissors)\n"
    "  LEADERBOARD_TTL_SECONDS       saved leaderboard lifetime (86400)\n"
    "  LEADERBOARD_REFRESH_MS        least time between refreshes (1000)\n"
    "  LEADERBOARD_CACHE_MS          GetStats in-process copy (1000)\n"
    "  GRIDBOARD_THREADS             HTTP worker threads (32)\n"
    "  GRIDBOARD_DB_CLIENTS          database client pool size (32)\n"
    "  GRIDBOARD_KEEP_ALIVE_MS       idle keep-alive time (5000)\n"
    "  GRIDBOARD_MAX_BODY_BYTES      largest request body (4194304)\n"
    "  GRIDBOARD_REQUEST_TIMEOUT_MS  slow-client limit (30000)\n"
    "  GRIDBOARD_ENABLE_GENERATE     true switches on Generate (false)\n"
    "  EVENT_GRID_TOPIC_ENDPOINT     topic for SendResult (unset: refused)\n"
    "  EVENT_GRID_TOPIC_KEY          topic access key (secret)\n"
    "  EVENT_GRID_AUTH               key or sas (key)\n"
    "  EVENT_GRID_SCHEMA             eventgrid or cloudevents (eventgrid)\n"
    "  EVENT_GRID_CA_FILE            PEM CA bundle (system CAs)\n"
    "  EVENT_GRID_SOURCE             CloudEvents source\n"
    "                                (/gridboard/SendResult)\n"
    "  EVENT_GRID_TIMEOUT_MS         one publish attempt (5000)\n"
    "  EVENT_GRID_DEADLINE_MS        all attempts of a request (15000)\n";

/* Handles the command line: returns -1 to go on and serve, otherwise the
 * exit status. */
static int handle_arguments(int argc, char **argv)
{
  if (argc < 2)
    return -1;
  if (argc == 2 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage, stdout);
    return EXIT_SUCCESS;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("gridboard-handler %s\n", GB_VERSION);
    return EXIT_SUCCESS;
  }
  fprintf(stderr,
          "gridboard-handler: unexpected argument '%s': it takes no "
          "arguments, only settings from the environment (see --help)\n",
          argv[1]);
  return 2;
}

static int wait_for_stop_signal(const sigset_t *stop_signals)
{
  int sig = 0;

  if (sigwait(stop_signals, &sig) != 0)
    return -1;
  return sig;
}

int main(int argc, char **argv)
{
  struct gb_config config;
  struct gb_error err = {0};
  struct gb_app app = {&config, NULL, NULL, NULL};
  struct gb_server *server = NULL;
  sigset_t stop_signals;
  int status = handle_arguments(argc, argv), sig;

  if (status >= 0)
    return status;
  status = EXIT_FAILURE;

  /* Blocked before any thread starts, so that every thread inherits the
   * mask and only sigwait below sees them. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN); /* a peer that hangs up is an I/O error */

  if (!gb_config_load(&config, gb_config_getenv, NULL, &err)) {
    gb_log_error("configuration: %s", err.message);
    return EXIT_FAILURE;
  }

  gb_store_init_driver();
  mg_init_library(0);
  app.store = gb_store_new(config.connection_string, config.database,
                           config.db_clients, config.ttl_seconds, &err);
  if (!app.store) {
    gb_log_error("configuration: %s", err.message);
    goto done;
  }
  gb_store_set_refresh_interval_ms(app.store, config.refresh_ms);
  gb_store_set_cache_ms(app.store, config.cache_ms);
  if (config.eg_endpoint) {
    app.publisher = gb_publisher_new(&config, &err);
    if (!app.publisher) {
      gb_log_error("configuration: %s", err.message);
      goto done;
    }
  } else {
    gb_log_info("EVENT_GRID_TOPIC_ENDPOINT is not set: SendResult will "
                "refuse games");
  }
  app.stats_bodies = gb_body_cache_new(GB_PERIOD_COUNT);
  server = gb_server_start(&app, &err);
  if (!server) {
    gb_log_error("start-up: %s", err.message);
    goto done;
  }
  gb_log_info("listening on 127.0.0.1:%d (database %s, %d threads, "
              "%d database clients)",
              config.port, config.database, config.threads,
              config.db_clients);
  /* After listening, so that a slow DNS or TLS set-up never delays the
   * readiness probe; invocations that come first wait for the same
   * once-only steps. A failure leaves the process serving: invocations
   * answer 503 (retryable) and try again. */
  if (!gb_tls_start(&err) || !gb_store_connect(app.store, &err))
    gb_log_error("start-up: %s (invocations answer 503 until it works)",
                 err.message);

  sig = wait_for_stop_signal(&stop_signals);
  gb_log_info("signal %d: finishing requests in flight, then stopping", sig);
  status = EXIT_SUCCESS;

done:
  gb_server_stop(server);
  gb_publisher_destroy(app.publisher);
  gb_store_destroy(app.store);
  gb_body_cache_destroy(app.stats_bodies);
  mg_exit_library();
  gb_tls_cleanup();
  gb_store_cleanup_driver();
  return status;
}
