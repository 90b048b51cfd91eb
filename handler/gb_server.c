#include "gb_server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "gb_config.h"
#include "gb_dispatch.h"
#include "gb_dynbuf.h"
#include "gb_json.h"
#include "gb_log.h"
#include "gb_time.h"

/* Connections and threads. civetweb 1.15 gives each connection one of its
 * num_threads workers from accept to close, idle keep-alive time
 * included, and starts every worker before it listens (about 20-30 us a
 * thread here, all of it before the first GET / is answered). So the
 * thread count stays small and a reply keeps its connection open only
 * while a worker is left over for the next one: once every worker holds a
 * connection, each reply says Connection: close and its worker takes the
 * next waiting connection at once. No connection waits on another one's
 * idle time, whatever the number a pooling client opens; a client that
 * keeps fewer connections than there are workers keeps all of them. */
struct gb_server {
  struct mg_context *ctx;
  const struct gb_app *app;
  atomic_int held; /* connections a worker is serving, idle ones too */
};

/* ================ Request and response ================ */

/* The status line and headers of every reply; Content-Length last. */
#define REPLY_HEAD                                                           \
  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"                     \
  "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n"

static void send_reply(struct mg_connection *conn, const struct gb_reply *r,
                       bool close_connection)
{
  char *text = r->body ? gb_json_print(r->body) : NULL;
  const char *body = text ? text : "{}";
  size_t len = strlen(body);
  char length[32], head[256];
  char *whole;
  int head_len;

  if (close_connection) {
    /* civetweb closes the connection only when it sees this header go
     * through its own header calls. */
    snprintf(length, sizeof(length), "%zu", len);
    mg_response_header_start(conn, r->status);
    mg_response_header_add(conn, "Content-Type", "application/json", -1);
    mg_response_header_add(conn, "Content-Length", length, -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "Connection", "close", -1);
    mg_response_header_send(conn);
    mg_write(conn, body, len);
    cJSON_free(text);
    return;
  }
  /* One write, so one TCP segment for a small reply: civetweb's header
   * calls send each line on its own (with tcp_nodelay, a segment each). */
  head_len = snprintf(head, sizeof(head), REPLY_HEAD, r->status,
                      mg_get_response_code_text(conn, r->status), len);
  whole = head_len > 0 ? malloc((size_t)head_len + len) : NULL;
  if (whole) {
    /* Bytes for the wire, not a string: no NUL. */
    /* NOLINTBEGIN(bugprone-not-null-terminated-result) */
    memcpy(whole, head, (size_t)head_len);
    memcpy(whole + head_len, body, len);
    /* NOLINTEND(bugprone-not-null-terminated-result) */
    mg_write(conn, whole, (size_t)head_len + len);
    free(whole);
  } else {
    mg_write(conn, head, head_len > 0 ? (size_t)head_len : 0);
    mg_write(conn, body, len);
  }
  cJSON_free(text);
}

/* Reads the whole body (chunked or not) into a new NUL-terminated buffer,
 * refusing more than max bytes. *body is NULL for an empty body. */
static bool read_body(struct mg_connection *conn, size_t max, char **body,
                      size_t *len, struct gb_error *err)
{
  const struct mg_request_info *ri = mg_get_request_info(conn);
  long long declared = ri->content_length;
  struct gb_dynbuf buf;
  /* A declared length is read at once, with room for the NUL. */
  size_t chunk = declared > 0 ? (size_t)declared + 1 : 16384;

  *body = NULL;
  *len = 0;
  if (declared > 0 && (unsigned long long)declared > max)
    return gb_error_set(err, GB_ERR_TOO_LARGE, 0, "body",
                        "the body exceeds %zu bytes", max);
  /* One byte past max tells a body of exactly max from a longer one; it
   * is also the room of the terminating NUL. */
  gb_dynbuf_init(&buf, 1, max + 1);
  for (;;) {
    size_t room = buf.max - buf.count;
    char *at;
    int n;

    if (chunk > room)
      chunk = room;
    if (chunk > INT_MAX)
      chunk = INT_MAX;
    if (chunk == 0) {
      gb_dynbuf_free(&buf);
      return gb_error_set(err, GB_ERR_TOO_LARGE, 0, "body",
                          "the body exceeds %zu bytes", max);
    }
    at = gb_dynbuf_grow(&buf, chunk, err);
    if (!at) {
      gb_dynbuf_free(&buf);
      return false;
    }
    n = mg_read(conn, at, chunk);
    gb_dynbuf_truncate(&buf, buf.count - chunk + (n > 0 ? (size_t)n : 0));
    if (n < 0) {
      gb_dynbuf_free(&buf);
      return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                          "the body could not be read completely");
    }
    if (n == 0 || (declared > 0 && buf.count >= (size_t)declared))
      break;
    chunk = buf.count; /* doubling what is read so far */
  }
  if (declared > 0 && buf.count < (size_t)declared) {
    gb_dynbuf_free(&buf);
    return gb_error_set(err, GB_ERR_INVALID, 0, "body",
                        "the body ended after %zu of %lld bytes", buf.count,
                        declared);
  }
  if (!gb_dynbuf_push(&buf, "", err)) {
    gb_dynbuf_free(&buf);
    return false;
  }
  *body = gb_dynbuf_take(&buf, len);
  (*len)--;
  return true;
}

static int on_request(struct mg_connection *conn, void *cbdata)
{
  struct gb_server *server = cbdata;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  struct gb_error err = {0};
  struct gb_reply reply = {500, NULL};
  struct gb_request req = {
      .method = ri->request_method,
      .path = ri->local_uri,
      .content_type = mg_get_header(conn, "Content-Type"),
      .invocation_id = mg_get_header(conn, "X-Azure-Functions-InvocationId"),
  };
  const struct gb_route *route;
  char *body = NULL;
  bool close_connection = false;

  route = gb_dispatch_route(&req, &err);
  if (!route) {
    gb_dispatch_refuse(&req, &err, &reply);
    /* An unread body would be taken for the next request. */
    close_connection =
        ri->content_length != 0 || err.kind == GB_ERR_MEDIA_TYPE;
  } else if (!read_body(conn, server->app->config->max_body_bytes, &body,
                        &req.body_len, &err)) {
    gb_dispatch_refuse(&req, &err, &reply);
    close_connection = true;
  } else {
    req.body = body;
    gb_dispatch_run(server->app, route, &req, &reply);
  }
  /* Every worker holds a connection: this one's worker goes to the next
   * waiting connection instead of waiting for this one's next request. */
  if (atomic_load(&server->held) >= server->app->config->threads)
    close_connection = true;
  send_reply(conn, &reply, close_connection);
  cJSON_Delete(reply.body);
  free(body);
  return reply.status;
}

/* Every request is answered from here, before civetweb's own handler
 * lookup: the callback is in place before mg_start2 listens, whereas a
 * handler registered after it would leave a moment in which civetweb
 * answers 404 itself. */
static int on_begin_request(struct mg_connection *conn)
{
  return on_request(conn, mg_get_user_data(mg_get_context(conn)));
}

static struct gb_server *server_of(const struct mg_connection *conn)
{
  return mg_get_user_data(mg_get_context(conn));
}

static int on_init_connection(const struct mg_connection *conn,
                              void **conn_data)
{
  (void)conn_data;
  atomic_fetch_add(&server_of(conn)->held, 1);
  return 0;
}

static void on_connection_close(const struct mg_connection *conn)
{
  atomic_fetch_sub(&server_of(conn)->held, 1);
}

static int on_log_message(const struct mg_connection *conn,
                          const char *message)
{
  (void)conn;
  gb_log_error("http server: %s", message);
  return 1;
}

/* ================ Lifecycle ================ */

struct gb_server *gb_server_start(const struct gb_app *app,
                                  struct gb_error *err)
{
  const struct gb_config *cfg = app->config;
  struct gb_server *server = calloc(1, sizeof(*server));
  struct mg_callbacks callbacks;
  struct mg_init_data init;
  struct mg_error_data error;
  unsigned error_code = 0;
  char ports[32], threads[16], timeout[24], keep_alive[24];
  char error_text[256] = "";
  const char *options[] = {"listening_ports",
                           ports,
                           "num_threads",
                           threads,
                           "request_timeout_ms",
                           timeout,
                           "enable_keep_alive",
                           "yes",
                           "keep_alive_timeout_ms",
                           keep_alive,
                           "tcp_nodelay",
                           "1",
                           "listen_backlog",
                           "512",
                           NULL,
                           NULL};

  if (!server) {
    gb_error_nomem(err);
    return NULL;
  }
  server->app = app;
  snprintf(ports, sizeof(ports), "127.0.0.1:%d", cfg->port);
  snprintf(threads, sizeof(threads), "%d", cfg->threads);
  snprintf(timeout, sizeof(timeout), "%ld", cfg->request_timeout_ms);
  snprintf(keep_alive, sizeof(keep_alive), "%ld", cfg->keep_alive_ms);
  atomic_init(&server->held, 0);

  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.begin_request = on_begin_request;
  callbacks.log_message = on_log_message;
  callbacks.init_connection = on_init_connection;
  callbacks.connection_close = on_connection_close;
  memset(&init, 0, sizeof(init));
  init.callbacks = &callbacks;
  init.user_data = server;
  init.configuration_options = options;
  memset(&error, 0, sizeof(error));
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);

  server->ctx = mg_start2(&init, &error);
  if (!server->ctx) {
    gb_error_set(err, GB_ERR_CONFIG, 0, "FUNCTIONS_CUSTOMHANDLER_PORT",
                 "cannot listen on 127.0.0.1:%d: %s", cfg->port,
                 error_text[0] ? error_text : "unknown error");
    free(server);
    return NULL;
  }
  return server;
}

struct stopper {
  struct mg_context *ctx;
  atomic_bool done;
};

static void *run_mg_stop(void *arg)
{
  struct stopper *stopper = arg;

  mg_stop(stopper->ctx);
  atomic_store(&stopper->done, true);
  return NULL;
}

/* civetweb's accept loop notices the stop flag only when its poll wakes,
 * up to two seconds later; a connection of our own wakes it at once. */
static void wake_accept_loop(int port)
{
  struct sockaddr_in addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)connect(fd, (struct sockaddr *)&addr, sizeof(addr));
  close(fd);
}

void gb_server_stop(struct gb_server *server)
{
  struct stopper stopper;
  pthread_t thread;

  if (!server)
    return;
  stopper.ctx = server->ctx;
  atomic_init(&stopper.done, false);
  if (pthread_create(&thread, NULL, run_mg_stop, &stopper) != 0) {
    mg_stop(server->ctx);
  } else {
    while (!atomic_load(&stopper.done)) {
      gb_time_sleep_ms(20);
      wake_accept_loop(server->app->config->port);
    }
    pthread_join(thread, NULL);
  }
  free(server);
}
