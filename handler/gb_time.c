#include "gb_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil / civil_from_days (public domain). */
int64_t gb_days_from_civil(int64_t y, unsigned m, unsigned d)
{
  int64_t era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void gb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  int64_t era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
  static const unsigned days[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, int *out)
{
  int v = 0, i;

  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool expect(const char **p, char c)
{
  if (**p != c)
    return false;
  (*p)++;
  return true;
}

bool gb_time_parse(const char *s, int64_t *ms, const char *field,
                   struct gb_error *err)
{
  const char *p = s;
  int year, month, day, hour, minute, second, millis = 0;
  int offset_minutes = 0;

  if (!digits(&p, 4, &year) || !expect(&p, '-') || !digits(&p, 2, &month) ||
      !expect(&p, '-') || !digits(&p, 2, &day) ||
      !(expect(&p, 'T') || expect(&p, 't')) || !digits(&p, 2, &hour) ||
      !expect(&p, ':') || !digits(&p, 2, &minute) || !expect(&p, ':') ||
      !digits(&p, 2, &second))
    goto bad;
  if (*p == '.') {
    int scale = 100, n = 0;
    p++;
    while (isdigit((unsigned char)*p)) {
      millis += (*p - '0') * scale;
      scale /= 10;
      p++;
      if (++n > 9)
        goto bad;
    }
    if (n == 0)
      goto bad;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh, om;
    p++;
    if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) ||
        oh > 23 || om > 59)
      goto bad;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return gb_error_set(err, GB_ERR_INVALID, 0, field,
                        "%s must carry a UTC offset, e.g. "
                        "2024-12-06T15:19:12Z",
                        field);
  }
  if (*p != '\0')
    goto bad;
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      (unsigned)day > days_in_month(year, (unsigned)month) || hour > 23 ||
      minute > 59 || second > 59)
    goto bad;

  *ms = gb_days_from_civil(year, (unsigned)month, (unsigned)day) *
            GB_MS_PER_DAY +
        ((int64_t)hour * 3600 + minute * 60 + second) * 1000 + millis -
        (int64_t)offset_minutes * 60000;
  /* An offset must not carry the instant out of years 1 to 9999, which
   * could then not be written back in this format. */
  if (*ms < gb_days_from_civil(1, 1, 1) * GB_MS_PER_DAY ||
      *ms >= gb_days_from_civil(10000, 1, 1) * GB_MS_PER_DAY)
    goto bad;
  return true;

bad:
  return gb_error_set(err, GB_ERR_INVALID, 0, field,
                      "%s is not an ISO-8601 date-time such as "
                      "2024-12-06T15:19:12.340Z",
                      field);
}

void gb_time_format(int64_t ms, char buf[32])
{
  int64_t days = ms / GB_MS_PER_DAY, rem = ms % GB_MS_PER_DAY, y;
  unsigned m, d;
  int n;

  if (rem < 0) {
    rem += GB_MS_PER_DAY;
    days--;
  }
  gb_civil_from_days(days, &y, &m, &d);
  n = snprintf(buf, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y,
               m, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
               (int)(rem / 1000 % 60), (int)(rem % 1000));
  /* Any int64 ms gives at most 30 characters (years -292277023 to
   * 292278994, m and d in range), which the compiler cannot prove; should
   * that ever be wrong, an empty string is returned rather than a time
   * cut short. */
  if (n < 0 || n >= 32)
    buf[0] = '\0';
}

int64_t gb_time_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gb_time_sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

  if (ms > 0)
    nanosleep(&ts, NULL);
}

int64_t gb_time_add_months(int64_t ms, int months)
{
  int64_t days = ms / GB_MS_PER_DAY, rem = ms % GB_MS_PER_DAY, y, total;
  unsigned m, d, dim;

  if (rem < 0) {
    rem += GB_MS_PER_DAY;
    days--;
  }
  gb_civil_from_days(days, &y, &m, &d);
  total = y * 12 + (m - 1) + months;
  y = total >= 0 ? total / 12 : (total - 11) / 12;
  m = (unsigned)(total - y * 12) + 1;
  dim = days_in_month(y, m);
  if (d > dim)
    d = dim;
  return gb_days_from_civil(y, m, d) * GB_MS_PER_DAY + rem;
}
