/* store_loop: the database limit for GameCompleted. Each thread stores a
 * new game and refreshes the leaderboards in a loop, straight through
 * gb_store (the handler's own libmongoc calls, with its group commit),
 * without HTTP, the invocation envelope or JSON. The games are the ones
 * bench/gamecompleted.py sends the handler (support.game(): alice wins,
 * moves 3/2/1, an hour ago), so both do the same database work.
 *
 * usage: store_loop <mongodb-uri> <database> <events> <threads>
 * prints: events=N seconds=S per_second=R p50_ms=A p99_ms=B */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_store.h"
#include "gb_time.h"

struct shared {
  struct gb_store *store;
  long events;
  long next; /* under lock */
  pthread_mutex_t lock;
  double *latency_ms;
  int failed;
};

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
  struct shared *s = arg;

  for (;;) {
    struct gb_game g;
    struct gb_error err = {0};
    enum gb_put_result result;
    long i;
    double t0;

    pthread_mutex_lock(&s->lock);
    i = s->next < s->events ? s->next++ : -1;
    pthread_mutex_unlock(&s->lock);
    if (i < 0)
      return NULL;
    memset(&g, 0, sizeof(g));
    snprintf(g.id, sizeof(g.id), "loop-%ld-%lx", i, (long)time(NULL));
    snprintf(g.winner_email, sizeof(g.winner_email), "alice@example.com");
    g.rock_count = 3;
    g.paper_count = 2;
    g.scissors_count = 1;
    g.timestamp_ms = gb_time_now_ms() - 3600 * 1000;
    gb_time_format(g.timestamp_ms, g.timestamp_text);
    t0 = now_s();
    if (!gb_store_put_game(s->store, &g, &result, &err) ||
        !gb_store_sync(s->store, g.id, &err)) {
      fprintf(stderr, "store_loop: %s\n", err.message);
      s->failed = 1;
      return NULL;
    }
    s->latency_ms[i] = (now_s() - t0) * 1000;
  }
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  struct shared s;
  struct gb_error err = {0};
  pthread_t threads[64];
  long thread_count;
  double t0, elapsed;

  if (argc != 5)
    return 2;
  memset(&s, 0, sizeof(s));
  s.events = strtol(argv[3], NULL, 10);
  thread_count = strtol(argv[4], NULL, 10);
  if (s.events < 1 || thread_count < 1 || thread_count > 64)
    return 2;
  s.latency_ms = calloc((size_t)s.events, sizeof(double));
  pthread_mutex_init(&s.lock, NULL);
  gb_store_init_driver();
  s.store =
      gb_store_new(argv[1], argv[2], (int)thread_count + 1, 86400, &err);
  if (!s.store || !s.latency_ms) {
    fprintf(stderr, "store_loop: %s\n", err.message);
    return 1;
  }
  t0 = now_s();
  for (long t = 0; t < thread_count; t++)
    pthread_create(&threads[t], NULL, worker, &s);
  for (long t = 0; t < thread_count; t++)
    pthread_join(threads[t], NULL);
  elapsed = now_s() - t0;
  qsort(s.latency_ms, (size_t)s.events, sizeof(double), compare_doubles);
  printf("events=%ld seconds=%.3f per_second=%.1f p50_ms=%.2f p99_ms=%.2f\n",
         s.events, elapsed, (double)s.events / elapsed,
         s.latency_ms[s.events / 2],
         s.latency_ms[(long)(0.99 * (double)(s.events - 1))]);
  gb_store_destroy(s.store);
  gb_store_cleanup_driver();
  free(s.latency_ms);
  pthread_mutex_destroy(&s.lock);
  return s.failed;
}
