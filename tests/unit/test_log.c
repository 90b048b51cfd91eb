#include "gb_log.h"
#include "gb_test.h"

static void expect_redacted(const char *in, const char *out)
{
  char line[256];

  snprintf(line, sizeof(line), "%s", in);
  gb_log_redact(line);
  CHECK_STR(line, out);
}

static void test_redact(void)
{
  expect_redacted(
      "mongodb://acct:S3cret%3D%3D@acct.mongo.cosmos.azure.com"
      ":10255/?ssl=true",
      "mongodb://***@acct.mongo.cosmos.azure.com:10255/?ssl=true");
  expect_redacted("a https://u:p@h/x and mongodb://k@h2",
                  "a https://***@h/x and mongodb://*@h2");
  expect_redacted("no credentials: mongodb://127.0.0.1:27017/db?x=a@b",
                  "no credentials: mongodb://127.0.0.1:27017/db?x=a@b");
  expect_redacted("mailto-like alice@example.com stays",
                  "mailto-like alice@example.com stays");
  expect_redacted("trailing ://", "trailing ://");
}

int main(void)
{
  test_redact();
  return gb_test_report("log");
}
