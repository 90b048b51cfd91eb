/* gb_server: the HTTP server the Functions host talks to (civetweb).
 *
 * Listens on 127.0.0.1 only. Reads bodies up to the configured limit
 * (Content-Length or chunked), hands every request to the dispatcher
 * (gb_dispatch) and sends its reply, always a JSON object. Functions run
 * on civetweb's worker threads, so they share only the read-only app. */
#ifndef GB_SERVER_H
#define GB_SERVER_H

#include "gb_app.h"
#include "gb_error.h"

struct gb_server;

/* Starts listening on app->config->port. app must outlive the server. */
struct gb_server *gb_server_start(const struct gb_app *app,
                                  struct gb_error *err);

/* Stops accepting, waits for requests in flight to finish, frees. */
void gb_server_stop(struct gb_server *server);

#endif
