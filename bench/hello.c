/* A civetweb hello-world for the GetStats benchmark: the same library,
 * options and reply path as gridboard-handler, and nothing else (no
 * envelope parsing, no database), so the handler's throughput can be read
 * against what civetweb itself allows on this machine in the same run.
 *
 *   gb-bench-hello PORT [THREADS [onewrite]]
 *
 * With "onewrite" the reply goes out in a single mg_write (status line,
 * headers and body in one buffer) instead of civetweb's header calls,
 * which send each header line on its own (8 send calls, and with
 * tcp_nodelay 8 segments, per reply): that mode measures what writing the
 * reply at once would save. */
#include <stdbool.h>

#include "civetweb_peer.h"

#define BODY "{\"Outputs\":{},\"Logs\":[],\"ReturnValue\":\"hello\"}"

static bool one_write;

static int on_request(struct mg_connection *conn, void *cbdata)
{
  (void)cbdata;
  drain_body(conn);
  if (one_write) {
    char buf[512];
    int len = snprintf(buf, sizeof(buf),
                       "HTTP/1.1 200 OK\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: %zu\r\n"
                       "Cache-Control: no-store\r\n"
                       "Connection: keep-alive\r\n\r\n%s",
                       strlen(BODY), BODY);
    mg_write(conn, buf, (size_t)len);
  } else {
    reply(conn, 200, BODY);
  }
  return 200;
}

int main(int argc, char **argv)
{
  struct mg_callbacks callbacks;

  one_write = argc > 3 && strcmp(argv[3], "onewrite") == 0;
  memset(&callbacks, 0, sizeof(callbacks));
  return run_peer(argc, argv, &callbacks, on_request);
}
