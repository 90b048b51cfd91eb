#include "gb_test.h"
#include "gb_time.h"

static int64_t parse_ok(const char *s)
{
  struct gb_error err = {0};
  int64_t ms = -1;

  CHECK(gb_time_parse(s, &ms, "Timestamp", &err));
  return ms;
}

static void test_parse(void)
{
  struct gb_error err = {0};
  int64_t ms;
  char buf[32];

  CHECK_INT(parse_ok("1970-01-01T00:00:00Z"), 0);
  /* .NET's round-trip format has 7 fraction digits: ms precision kept. */
  CHECK_INT(parse_ok("2024-12-06T15:19:12.3401234Z"), INT64_C(1733498352340));
  CHECK_INT(parse_ok("2024-12-06T16:19:12.340+01:00"),
            INT64_C(1733498352340));
  CHECK_INT(parse_ok("2024-12-06T14:49:12.340-00:30"),
            INT64_C(1733498352340));
  CHECK_INT(parse_ok("2024-12-06t15:19:12.34z"), INT64_C(1733498352340));
  CHECK_INT(parse_ok("2024-02-29T00:00:00Z"), INT64_C(1709164800000));

  CHECK(!gb_time_parse("2024-12-06T15:19:12", &ms, "Timestamp", &err));
  CHECK(strstr(err.message, "UTC offset") != NULL);
  CHECK_STR(err.field, "Timestamp");
  CHECK(!gb_time_parse("2023-02-29T00:00:00Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-04-31T00:00:00Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-13-01T00:00:00Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06T24:00:00Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06T15:60:00Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06 15:19:12Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06T15:19:12.Z", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06T15:19:12.1234567890Z", &ms, "Timestamp",
                       &err));
  CHECK(!gb_time_parse("2024-12-06T15:19:12Zjunk", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("2024-12-06T15:19:12+0100", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("yesterday", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("", &ms, "Timestamp", &err));
  /* Offsets that carry the instant past year 9999 or before year 1. */
  CHECK(!gb_time_parse("9999-12-31T23:59:59-01:00", &ms, "Timestamp", &err));
  CHECK(!gb_time_parse("0001-01-01T00:00:00+00:01", &ms, "Timestamp", &err));
  CHECK_INT(parse_ok("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));

  gb_time_format(INT64_C(1733498352340), buf);
  CHECK_STR(buf, "2024-12-06T15:19:12.340Z");
  gb_time_format(-1, buf);
  CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
  /* The extremes of int64 fit in the 32 bytes, never cut short. */
  gb_time_format(INT64_MAX, buf);
  CHECK_STR(buf, "292278994-08-17T07:12:55.807Z");
  gb_time_format(INT64_MIN, buf);
  CHECK_STR(buf, "-292275055-05-16T16:47:04.192Z");
}

/* The two messages a caller can see; a rewrite of the parser must keep
 * both, and which one a given input earns. */
#define NOT_ISO                                                              \
  "Game.Timestamp is not an ISO-8601 date-time such as "                     \
  "2024-12-06T15:19:12.340Z"
#define NO_OFFSET                                                            \
  "Game.Timestamp must carry a UTC offset, e.g. 2024-12-06T15:19:12Z"

static int64_t parse_rejected(const char *s, const char *message)
{
  struct gb_error err = {0};
  int64_t ms = 42;

  CHECK(!gb_time_parse(s, &ms, "Game.Timestamp", &err));
  CHECK_INT(err.kind, GB_ERR_INVALID);
  CHECK_INT(err.code, 0);
  CHECK_STR(err.field, "Game.Timestamp");
  if (strcmp(err.message, message) != 0)
    fprintf(stderr, "input \"%s\"\n", s);
  CHECK_STR(err.message, message);
  return ms;
}

static void parse_bad(const char *s, const char *message)
{
  /* A caller that ignores the result must not find a half-read instant. */
  CHECK_INT(parse_rejected(s, message), 42);
}

static void test_parse_forms(void)
{
  /* Fractions: one to nine digits, truncated (not rounded) to ms. */
  CHECK_INT(parse_ok("2024-12-06T15:19:12.3Z"), INT64_C(1733498352300));
  CHECK_INT(parse_ok("2024-12-06T15:19:12.123999999Z"),
            INT64_C(1733498352123));
  CHECK_INT(parse_ok("2024-12-06T15:19:12.000Z"), INT64_C(1733498352000));
  /* Offsets: both signs, zero either way, up to 23:59. */
  CHECK_INT(parse_ok("2024-12-06T15:19:12+00:00"), INT64_C(1733498352000));
  CHECK_INT(parse_ok("2024-12-06T15:19:12-00:00"), INT64_C(1733498352000));
  CHECK_INT(parse_ok("2024-12-06T15:19:12+23:59"), INT64_C(1733412012000));
  CHECK_INT(parse_ok("2024-12-06T15:19:12-23:59"), INT64_C(1733584692000));
  CHECK_INT(parse_ok("2024-12-06T15:19:12.5-01:00"), INT64_C(1733501952500));
  /* An offset may move the instant into another day, month and year. */
  CHECK_INT(parse_ok("2024-12-31T23:30:00-01:00"), INT64_C(1735691400000));
  /* Gregorian leap years: every 4th, not every 100th, every 400th. */
  CHECK_INT(parse_ok("2000-02-29T00:00:00Z"), INT64_C(951782400000));
  parse_bad("1900-02-29T00:00:00Z", NOT_ISO);
  parse_bad("2023-02-29T00:00:00Z", NOT_ISO);
  /* The edges of years 1 to 9999, offsets that stay inside them. */
  CHECK_INT(parse_ok("0001-01-01T00:00:00Z"), INT64_C(-62135596800000));
  CHECK_INT(parse_ok("0001-01-01T00:00:00-00:01"), INT64_C(-62135596740000));
  CHECK_INT(parse_ok("9999-12-31T23:59:59+01:00"), INT64_C(253402297199000));
  CHECK_INT(parse_ok("2024-12-31T23:59:59Z"), INT64_C(1735689599000));

  /* The calendar and the clock. */
  parse_bad("0000-01-01T00:00:00Z", NOT_ISO);
  parse_bad("2024-00-10T00:00:00Z", NOT_ISO);
  parse_bad("2024-13-01T00:00:00Z", NOT_ISO);
  parse_bad("2024-12-00T00:00:00Z", NOT_ISO);
  parse_bad("2024-12-32T00:00:00Z", NOT_ISO);
  parse_bad("2024-04-31T00:00:00Z", NOT_ISO);
  parse_bad("2024-12-06T24:00:00Z", NOT_ISO);
  parse_bad("2024-12-06T15:60:00Z", NOT_ISO);
  parse_bad("2024-12-06T15:19:60Z", NOT_ISO);
  /* Fixed widths and separators. */
  parse_bad("", NOT_ISO);
  parse_bad("yesterday", NOT_ISO);
  parse_bad("2024", NOT_ISO);
  parse_bad("2024-12-06", NOT_ISO);
  parse_bad("2024-12-06T15:19Z", NOT_ISO);
  parse_bad("2024-1-06T15:19:12Z", NOT_ISO);
  parse_bad("2024-12-6T15:19:12Z", NOT_ISO);
  parse_bad("2024-12-06T5:19:12Z", NOT_ISO);
  parse_bad("2024-12-06T15:9:12Z", NOT_ISO);
  parse_bad("2024-12-06T15:19:2Z", NOT_ISO);
  parse_bad("20241-12-06T15:19:12Z", NOT_ISO);
  parse_bad("+2024-12-06T15:19:12Z", NOT_ISO);
  parse_bad("-2024-12-06T15:19:12Z", NOT_ISO);
  parse_bad(" 2024-12-06T15:19:12Z", NOT_ISO);
  parse_bad("2024/12/06T15:19:12Z", NOT_ISO);
  parse_bad("2024-12-06 15:19:12Z", NOT_ISO);
  parse_bad("2024-12-06X15:19:12Z", NOT_ISO);
  parse_bad("2024-12-06T15.19.12Z", NOT_ISO);
  parse_bad("2024-12-06T15:19-12Z", NOT_ISO);
  parse_bad("2024-12-06T1a:19:12Z", NOT_ISO);
  /* Only ASCII digits count, whatever the locale: U+0663 ARABIC-INDIC
   * DIGIT THREE and U+FF12 FULLWIDTH DIGIT TWO. */
  parse_bad("2024-12-06T15:19:12.\xd9\xa3Z", NOT_ISO);
  parse_bad("\xef\xbc\x92"
            "024-12-06T15:19:12Z",
            NOT_ISO);
  /* Fractions: a digit at least, nine at most, checked before the zone. */
  parse_bad("2024-12-06T15:19:12.Z", NOT_ISO);
  parse_bad("2024-12-06T15:19:12.", NOT_ISO);
  parse_bad("2024-12-06T15:19:12.1234567890Z", NOT_ISO);
  parse_bad("2024-12-06T15:19:12.1234567890", NOT_ISO);
  parse_bad("2024-12-06T15:19:12.+01:00", NOT_ISO);
  /* No zone at all (or something else where it should be) earns the hint
   * about offsets, even when the date is also wrong. */
  parse_bad("2024-12-06T15:19:12", NO_OFFSET);
  parse_bad("2024-12-06T15:19:12.5", NO_OFFSET);
  parse_bad("2024-12-06T15:19:12,340Z", NO_OFFSET);
  parse_bad("2024-12-06T15:19:12 Z", NO_OFFSET);
  parse_bad("2024-12-06T15:19:12UTC", NO_OFFSET);
  parse_bad("2024-13-01T00:00:00", NO_OFFSET);
  parse_bad("2024-12-06T24:00:00.123", NO_OFFSET);
  /* Offsets: hh:mm exactly, in range, and nothing after the zone. */
  parse_bad("2024-12-06T15:19:12+0100", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+01", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+1:00", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+01:0", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+24:00", NOT_ISO);
  parse_bad("2024-12-06T15:19:12-01:60", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+01:00Z", NOT_ISO);
  parse_bad("2024-12-06T15:19:12+01:00 ", NOT_ISO);
  parse_bad("2024-12-06T15:19:12Zjunk", NOT_ISO);
  parse_bad("2024-12-06T15:19:12Z ", NOT_ISO);
  parse_bad("2024-12-06T15:19:12zz", NOT_ISO);
  /* Offsets checked before the calendar still leave a bad date bad. */
  parse_bad("2024-02-30T00:00:00+01:00", NOT_ISO);
  /* Out of years 1 to 9999 only once the offset is applied: the same
   * error (what *ms then holds is no part of the contract). */
  parse_rejected("9999-12-31T23:59:59-01:00", NOT_ISO);
  parse_rejected("9999-12-31T23:00:00-01:00", NOT_ISO);
  parse_rejected("0001-01-01T00:00:00+00:01", NOT_ISO);
  parse_rejected("0001-01-01T23:58:59.999+23:59", NOT_ISO);
  CHECK_INT(parse_ok("0001-01-01T23:59:00+23:59"), INT64_C(-62135596800000));
  CHECK_INT(parse_ok("9999-12-31T22:59:59.999-01:00"),
            INT64_C(253402300799999));
}

static void test_add_months(void)
{
  /* Day clamped to the shorter month, time of day kept. */
  CHECK_INT(gb_time_add_months(parse_ok("2024-03-31T10:20:30.400Z"), -1),
            parse_ok("2024-02-29T10:20:30.400Z"));
  CHECK_INT(gb_time_add_months(parse_ok("2023-03-31T00:00:00Z"), -1),
            parse_ok("2023-02-28T00:00:00Z"));
  CHECK_INT(gb_time_add_months(parse_ok("2025-01-15T08:00:00Z"), -1),
            parse_ok("2024-12-15T08:00:00Z"));
  CHECK_INT(gb_time_add_months(parse_ok("2024-05-31T23:59:59.999Z"), -1),
            parse_ok("2024-04-30T23:59:59.999Z"));
  CHECK_INT(gb_time_add_months(parse_ok("2024-12-01T00:00:00Z"), 1),
            parse_ok("2025-01-01T00:00:00Z"));
  CHECK_INT(gb_time_add_months(parse_ok("1970-01-01T00:00:00Z"), -1),
            parse_ok("1969-12-01T00:00:00Z"));
}

static void test_civil(void)
{
  int64_t y;
  unsigned m, d;

  CHECK_INT(gb_days_from_civil(1970, 1, 1), 0);
  CHECK_INT(gb_days_from_civil(2000, 3, 1), 11017);
  gb_civil_from_days(11017, &y, &m, &d);
  CHECK_INT(y, 2000);
  CHECK_INT(m, 3);
  CHECK_INT(d, 1);
  gb_civil_from_days(-1, &y, &m, &d);
  CHECK_INT(y, 1969);
  CHECK_INT(m, 12);
  CHECK_INT(d, 31);
}

int main(void)
{
  test_parse();
  test_parse_forms();
  test_add_months();
  test_civil();
  return gb_test_report("time");
}
