/* gridboard: the custom handler process the Azure Functions host starts.
 *
 * Reads and checks its settings, opens the database pool, serves the
 * functions on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT, and on SIGTERM or
 * SIGINT stops accepting, lets requests in flight finish, closes the pool
 * and exits 0. A bad setting exits 1 naming the setting (the host then
 * restarts the handler and reports the stderr line). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <civetweb.h>

#include "gb_config.h"
#include "gb_http.h"
#include "gb_log.h"
#include "gb_publisher.h"
#include "gb_server.h"
#include "gb_store.h"

static int wait_for_stop_signal(const sigset_t *stop_signals)
{
  int sig = 0;

  if (sigwait(stop_signals, &sig) != 0)
    return -1;
  return sig;
}

int main(void)
{
  struct gb_config config;
  struct gb_error err = {0};
  struct gb_app app = {&config, NULL, NULL};
  struct gb_server *server = NULL;
  sigset_t stop_signals;
  int status = EXIT_FAILURE, sig;

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
  if (!gb_publisher_init_library()) {
    gb_log_error("start-up: libcurl could not be initialised");
    gb_store_cleanup_driver();
    return EXIT_FAILURE;
  }
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
  server = gb_server_start(&app, &err);
  if (!server) {
    gb_log_error("start-up: %s", err.message);
    goto done;
  }
  gb_log_info("listening on 127.0.0.1:%d (database %s, %d threads, "
              "%d database clients)",
              config.port, config.database, config.threads,
              config.db_clients);

  sig = wait_for_stop_signal(&stop_signals);
  gb_log_info("signal %d: finishing requests in flight, then stopping", sig);
  status = EXIT_SUCCESS;

done:
  gb_server_stop(server);
  gb_publisher_destroy(app.publisher);
  gb_store_destroy(app.store);
  mg_exit_library();
  gb_publisher_cleanup_library();
  gb_store_cleanup_driver();
  return status;
}
