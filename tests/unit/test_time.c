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
  test_add_months();
  test_civil();
  return gb_test_report("time");
}
