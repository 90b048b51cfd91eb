#include "gb_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gb_text.h"

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

void gb_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
  /* Howard Hinnant's civil_from_days: days counted from 0000-03-01. */
  int64_t z = days + 719468, era;
  unsigned doe, yoe, doy, mp;

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

/* A date-time as written, before the calendar has been checked. */
struct stamp {
  int year, month, day;
  int hour, minute, second, millis;
  int offset_minutes;
};

/* Up to nanoseconds: .NET writes seven fraction digits, other writers
 * nine. */
#define MAX_FRACTION_DIGITS 9

/* Reads exactly width ASCII digits at *p (fixed width, so "2024-1-06" is
 * refused rather than read as January). */
static bool read_number(const char **p, int width, int *out)
{
  int v = 0, i;

  for (i = 0; i < width; i++) {
    if (!gb_ascii_digit((*p)[i]))
      return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += width;
  *out = v;
  return true;
}

static bool read_char(const char **p, char c)
{
  if (**p != c)
    return false;
  (*p)++;
  return true;
}

/* RFC 3339 (section 5.6) lets 'T' and 'Z' be written in lower case. */
static bool read_letter(const char **p, char upper, char lower)
{
  return read_char(p, upper) || read_char(p, lower);
}

static bool read_date(const char **p, struct stamp *t)
{
  return read_number(p, 4, &t->year) && read_char(p, '-') &&
         read_number(p, 2, &t->month) && read_char(p, '-') &&
         read_number(p, 2, &t->day);
}

static bool read_time(const char **p, struct stamp *t)
{
  return read_number(p, 2, &t->hour) && read_char(p, ':') &&
         read_number(p, 2, &t->minute) && read_char(p, ':') &&
         read_number(p, 2, &t->second);
}

/* An optional ".f...", truncated to milliseconds: an instant is stored to
 * the millisecond, and rounding could carry it into the next second. */
static bool read_fraction(const char **p, int *millis)
{
  int scale = 100, n;

  if (!read_char(p, '.'))
    return true;
  for (n = 0; gb_ascii_digit(**p); n++, (*p)++) {
    if (n == MAX_FRACTION_DIGITS)
      return false;
    *millis += (**p - '0') * scale;
    scale /= 10;
  }
  return n > 0;
}

/* A missing zone is told apart from a malformed one: a local time without
 * an offset is the likely mistake, and its message says what is needed. */
enum zone_read { ZONE_READ, ZONE_MISSING, ZONE_MALFORMED };

/* 'Z', or +hh:mm / -hh:mm with hh at most 23 as RFC 3339 has it. */
static enum zone_read read_zone(const char **p, int *offset_minutes)
{
  int sign, hours, minutes;

  if (read_letter(p, 'Z', 'z'))
    return ZONE_READ;
  if (**p != '+' && **p != '-')
    return ZONE_MISSING;
  sign = **p == '-' ? -1 : 1;
  (*p)++;
  if (!read_number(p, 2, &hours) || !read_char(p, ':') ||
      !read_number(p, 2, &minutes) || hours > 23 || minutes > 59)
    return ZONE_MALFORMED;
  *offset_minutes = sign * (hours * 60 + minutes);
  return ZONE_READ;
}

/* The digits alone allow February 30 or 24:00. */
static bool stamp_on_calendar(const struct stamp *t)
{
  return t->year >= 1 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
         (unsigned)t->day <= days_in_month(t->year, (unsigned)t->month) &&
         t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

static int64_t stamp_ms(const struct stamp *t)
{
  int64_t days =
      gb_days_from_civil(t->year, (unsigned)t->month, (unsigned)t->day);
  int64_t seconds =
      (int64_t)t->hour * 3600 + (int64_t)t->minute * 60 + t->second;

  return days * GB_MS_PER_DAY + seconds * 1000 + t->millis -
         (int64_t)t->offset_minutes * 60000;
}

/* An offset must not carry the instant out of years 1 to 9999, which could
 * then not be written back in this format. */
static bool ms_writable(int64_t ms)
{
  return ms >= gb_days_from_civil(1, 1, 1) * GB_MS_PER_DAY &&
         ms < gb_days_from_civil(10000, 1, 1) * GB_MS_PER_DAY;
}

static bool not_iso(struct gb_error *err, const char *field)
{
  return gb_error_set(err, GB_ERR_INVALID, 0, field,
                      "%s is not an ISO-8601 date-time such as "
                      "2024-12-06T15:19:12.340Z",
                      field);
}

bool gb_time_parse(const char *s, int64_t *ms, const char *field,
                   struct gb_error *err)
{
  struct stamp t = {0};
  const char *p = s;
  enum zone_read zone;

  if (!read_date(&p, &t) || !read_letter(&p, 'T', 't') ||
      !read_time(&p, &t) || !read_fraction(&p, &t.millis))
    return not_iso(err, field);
  zone = read_zone(&p, &t.offset_minutes);
  if (zone == ZONE_MISSING)
    return gb_error_set(err, GB_ERR_INVALID, 0, field,
                        "%s must carry a UTC offset, e.g. "
                        "2024-12-06T15:19:12Z",
                        field);
  if (zone == ZONE_MALFORMED || *p != '\0' || !stamp_on_calendar(&t))
    return not_iso(err, field);
  *ms = stamp_ms(&t);
  if (!ms_writable(*ms))
    return not_iso(err, field);
  return true;
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
