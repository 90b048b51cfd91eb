/* A stand-in Event Grid topic that answers every POST with 200 and does
 * nothing else, so SendResult can be measured without the Python topic's
 * cost. It counts the TCP connections it accepted and the requests it
 * answered, which shows whether the handler reuses its connections (one
 * libcurl handle per worker thread): GET /_stats answers
 * {"connections":C,"requests":R}, counting that request too. */
#include <stdatomic.h>

#include "civetweb_peer.h"

static atomic_long connections, requests;

/* Called once for each accepted connection, before its first request. */
static int on_connection(const struct mg_connection *conn, void **data)
{
  (void)conn;
  *data = NULL;
  atomic_fetch_add(&connections, 1);
  return 0;
}

static int on_request(struct mg_connection *conn, void *cbdata)
{
  const struct mg_request_info *ri = mg_get_request_info(conn);
  long n = atomic_fetch_add(&requests, 1) + 1;
  char body[96];

  (void)cbdata;
  drain_body(conn);
  if (strcmp(ri->request_method, "GET") == 0 &&
      strcmp(ri->local_uri, "/_stats") == 0) {
    snprintf(body, sizeof(body), "{\"connections\":%ld,\"requests\":%ld}",
             atomic_load(&connections), n);
    reply(conn, 200, body);
    return 200;
  }
  /* Event Grid's success: 200 with an empty body. */
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Length", "0", -1);
  mg_response_header_send(conn);
  return 200;
}

int main(int argc, char **argv)
{
  struct mg_callbacks callbacks;

  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.init_connection = on_connection;
  return run_peer(argc, argv, &callbacks, on_request);
}
