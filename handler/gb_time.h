/* gb_time: UTC instants as milliseconds since the Unix epoch, without the C
 * library's time zone state (timegm/mktime read TZ and are not pure). */
#ifndef GB_TIME_H
#define GB_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "gb_error.h"

#define GB_MS_PER_DAY INT64_C(86400000)

/* Parses an ISO-8601 / RFC 3339 date-time with a mandatory offset:
 * "2024-12-06T15:19:12.3401234Z", "2024-12-06T16:19:12+01:00". Fractions
 * beyond milliseconds are truncated. Fails (GB_ERR_INVALID, naming field)
 * on anything else, including impossible dates such as February 30. */
bool gb_time_parse(const char *s, int64_t *ms, const char *field,
                   struct gb_error *err);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (32 bytes; years outside
 * 0000-9999 take more digits or a sign). */
void gb_time_format(int64_t ms, char buf[32]);

/* The current time. */
int64_t gb_time_now_ms(void);

/* Sleeps ms milliseconds (nothing for ms <= 0); an interrupted sleep ends
 * early, which every caller (a retry's back-off, a refresh's pacing)
 * accepts. */
void gb_time_sleep_ms(long ms);

/* ms moved by `months` calendar months, keeping the time of day, with the
 * day clamped to the target month's length (2024-03-31 - 1 month =
 * 2024-02-29), as .NET's DateTime.AddMonths does. */
int64_t gb_time_add_months(int64_t ms, int months);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t gb_days_from_civil(int64_t y, unsigned m, unsigned d);
void gb_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
