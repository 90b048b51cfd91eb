#include "gb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void gb_log_redact(char *line)
{
  char *p = line;

  while ((p = strstr(p, "://")) != NULL) {
    char *start = p + 3;
    size_t span = strcspn(start, "@/?# \t\"'");

    if (start[span] == '@' && span > 0) {
      /* Never longer than what it replaces, so the line cannot grow. */
      size_t mask = span < 3 ? span : 3;
      memset(start, '*', mask);
      memmove(start + mask, start + span, strlen(start + span) + 1);
      p = start + mask;
    } else {
      p = start;
    }
  }
}

static void log_line(FILE *out, const char *level, const char *fmt,
                     va_list ap) __attribute__((format(printf, 3, 0)));

static void log_line(FILE *out, const char *level, const char *fmt,
                     va_list ap)
{
  char stamp[32];
  struct timespec now;
  struct tm tm;
  char line[1024];

  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  vsnprintf(line, sizeof(line), fmt, ap);
  gb_log_redact(line);
  /* One fprintf per line: stdio locks the stream per call, so lines from
   * worker threads do not interleave. */
  fprintf(out, "%s.%03ldZ gridboard %s %s\n", stamp, now.tv_nsec / 1000000L,
          level, line);
  fflush(out);
}

void gb_log_info(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  log_line(stdout, "info", fmt, ap);
  va_end(ap);
}

void gb_log_error(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  log_line(stderr, "error", fmt, ap);
  va_end(ap);
}
