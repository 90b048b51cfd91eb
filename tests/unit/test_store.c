/* gb_store_new: which connection strings are accepted. Nothing here
 * connects; the database work is covered by the integration tests. */
#include "gb_store.h"
#include "gb_test.h"

#define KEY "TopSecretKey0123456789%3D%3D"

static void test_accepts(void)
{
  static const char *const uris[] = {
      /* The Cosmos DB portal form, unchanged. */
      ("mongodb://acct:" KEY "@acct.mongo.cosmos.azure.com:10255/?ssl=true"
       "&replicaSet=globaldb&retrywrites=false&maxIdleTimeMS=120000"
       "&appName=@acct@"),
      ("mongodb://127.0.0.1:27017/leaderboard?appname=lb-test"
       "&retryWrites=false"),
      "mongodb://127.0.0.1/",
  };
  struct gb_error err;
  size_t i;

  for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
    struct gb_store *store;
    gb_error_clear(&err);
    store = gb_store_new(uris[i], "rockpaperscissors", 4, 86400, &err);
    CHECK(store != NULL);
    if (!store)
      fprintf(stderr, "  refused %s: %s\n", uris[i], err.message);
    gb_store_destroy(store);
  }
}

static void test_refuses_without_quoting(void)
{
  static const char *const uris[] = {
      "https://acct:" KEY "@acct.mongo.cosmos.azure.com/",
      "mongodb://acct:" KEY "@host:notaport/",
      "mongodb://acct:" KEY "@host/?ssl=maybe",
      "",
  };
  struct gb_error err;
  size_t i;

  for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
    gb_error_clear(&err);
    CHECK(gb_store_new(uris[i], "db", 4, 86400, &err) == NULL);
    CHECK_INT(err.kind, GB_ERR_CONFIG);
    CHECK_STR(err.field, "COSMOS_CONNECTION_STRING");
    CHECK(strstr(err.message, "TopSecretKey") == NULL);
  }
}

int main(void)
{
  gb_store_init_driver();
  test_accepts();
  test_refuses_without_quoting();
  gb_store_cleanup_driver();
  return gb_test_report("store");
}
