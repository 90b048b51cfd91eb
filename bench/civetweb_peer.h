/* What the benchmark's civetweb programs share: a server started with the
 * options handler/gb_server.c uses, so that anything measured beside the
 * handler differs from it only in what the request callback does. */
#ifndef GB_BENCH_CIVETWEB_PEER_H
#define GB_BENCH_CIVETWEB_PEER_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

/* Usage: <program> PORT [THREADS ...]; THREADS defaults to the handler's 32
 * (GRIDBOARD_THREADS). Serves until SIGTERM or SIGINT, then exits 0. */
static int run_peer(int argc, char **argv, struct mg_callbacks *callbacks,
                    mg_request_handler on_request)
{
  char ports[32], threads[16];
  const char *options[] = {"listening_ports",
                           ports,
                           "num_threads",
                           threads,
                           "request_timeout_ms",
                           "30000",
                           "enable_keep_alive",
                           "yes",
                           "keep_alive_timeout_ms",
                           "5000",
                           "tcp_nodelay",
                           "1",
                           "listen_backlog",
                           "512",
                           NULL,
                           NULL};
  struct mg_init_data init;
  struct mg_error_data error;
  struct mg_context *ctx;
  char error_text[256] = "";
  unsigned error_code = 0;
  sigset_t stop;
  int sig = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
    return 2;
  }
  snprintf(ports, sizeof(ports), "127.0.0.1:%d", atoi(argv[1]));
  snprintf(threads, sizeof(threads), "%d", argc > 2 ? atoi(argv[2]) : 32);
  /* As main.c does: the worker threads inherit the mask. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  mg_init_library(0);
  memset(&init, 0, sizeof(init));
  init.callbacks = callbacks;
  init.configuration_options = options;
  memset(&error, 0, sizeof(error));
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  ctx = mg_start2(&init, &error);
  if (!ctx) {
    fprintf(stderr, "cannot listen on %s: %s\n", ports, error_text);
    return 1;
  }
  mg_set_request_handler(ctx, "/", on_request, NULL);
  printf("listening %s\n", ports);
  fflush(stdout);
  sigwait(&stop, &sig);
  mg_stop(ctx);
  mg_exit_library();
  return 0;
}

/* Reads and drops the request body, as any server must before answering
 * on a keep-alive connection. */
static void drain_body(struct mg_connection *conn)
{
  char buf[16384];

  while (mg_read(conn, buf, sizeof(buf)) > 0)
    ;
}

/* A reply written the way gb_server.c's send_reply writes one. */
static void reply(struct mg_connection *conn, int status, const char *body)
{
  size_t len = strlen(body);
  char length[32];

  snprintf(length, sizeof(length), "%zu", len);
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  mg_response_header_add(conn, "Content-Length", length, -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_send(conn);
  mg_write(conn, body, len);
}

#endif
