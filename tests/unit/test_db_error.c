#include <mongoc/mongoc.h>

#include "gb_db_error.h"
#include "gb_test.h"

static void test_classify(void)
{
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER_SELECTION,
                           MONGOC_ERROR_SERVER_SELECTION_FAILURE),
            GB_DB_FAULT_TRANSIENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET),
            GB_DB_FAULT_TRANSIENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER, 11000),
            GB_DB_FAULT_DUPLICATE_KEY);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER, 16500),
            GB_DB_FAULT_THROTTLED);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER, 50), GB_DB_FAULT_TRANSIENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_WRITE_CONCERN, 91),
            GB_DB_FAULT_TRANSIENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER, 2), GB_DB_FAULT_PERMANENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_SERVER, 238), GB_DB_FAULT_PERMANENT);
  CHECK_INT(
      gb_db_classify(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE),
      GB_DB_FAULT_PERMANENT);
  CHECK_INT(gb_db_classify(MONGOC_ERROR_PROTOCOL,
                           MONGOC_ERROR_PROTOCOL_INVALID_REPLY),
            GB_DB_FAULT_PERMANENT);
}

static void test_retry_after(void)
{
  CHECK_INT(gb_db_retry_after_ms(
                "Error=16500, RetryAfterMs=34, Details='Response status code "
                "does not indicate success: TooManyRequests (429)'",
                100),
            34);
  CHECK_INT(gb_db_retry_after_ms("Error=16500, Details='x'", 100), 100);
  CHECK_INT(gb_db_retry_after_ms("RetryAfterMs=abc", 100), 100);
  CHECK_INT(gb_db_retry_after_ms("RetryAfterMs=999999", 100), 100);
  CHECK_INT(gb_db_retry_after_ms(NULL, 7), 7);
}

int main(void)
{
  test_classify();
  test_retry_after();
  return gb_test_report("db_error");
}
