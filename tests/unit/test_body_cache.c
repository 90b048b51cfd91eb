#include <stdlib.h>

#include <cjson/cJSON.h>

#include "gb_body_cache.h"
#include "gb_http_trigger.h"
#include "gb_test.h"

static void test_versions(void)
{
  struct gb_body_cache *cache = gb_body_cache_new(3);
  char *text;

  CHECK(cache != NULL);
  CHECK(gb_body_cache_get(cache, 0, 1) == NULL); /* empty */
  gb_body_cache_put(cache, 0, 7, "\"seven\"");
  text = gb_body_cache_get(cache, 0, 7);
  CHECK_STR(text, "\"seven\"");
  free(text);
  CHECK(gb_body_cache_get(cache, 0, 8) == NULL); /* another version */
  CHECK(gb_body_cache_get(cache, 1, 7) == NULL); /* another slot */
  gb_body_cache_put(cache, 0, 8, "\"eight\"");   /* replaced */
  CHECK(gb_body_cache_get(cache, 0, 7) == NULL);
  text = gb_body_cache_get(cache, 0, 8);
  CHECK_STR(text, "\"eight\"");
  free(text);
  gb_body_cache_put(cache, 3, 1, "\"beyond\""); /* ignored */
  CHECK(gb_body_cache_get(cache, 3, 1) == NULL);
  gb_body_cache_destroy(cache);
  /* No cache: nothing kept, nothing served. */
  gb_body_cache_put(NULL, 0, 1, "x");
  CHECK(gb_body_cache_get(NULL, 0, 1) == NULL);
}

/* A body put in as a literal prints as the same reply as the body put in
 * as text. */
static void test_literal_response(void)
{
  const char *headers[] = {"ETag", "\"v\"", NULL};
  cJSON *body = cJSON_Parse("{\"a\":\"q\\\"uote\",\"n\":[1,2]}");
  cJSON *copy = cJSON_Duplicate(body, 1);
  char *literal = gb_http_body_literal(body);
  cJSON *as_text = gb_http_response(200, copy, headers);
  cJSON *as_literal = gb_http_json_literal_response(200, literal, headers);
  char *a = cJSON_PrintUnformatted(as_text);
  char *b = cJSON_PrintUnformatted(as_literal);

  CHECK(literal != NULL);
  CHECK_STR(b, a);
  cJSON_free(a);
  cJSON_free(b);
  cJSON_Delete(as_text);
  cJSON_Delete(as_literal);
  cJSON_free(literal);
}

int main(void)
{
  test_versions();
  test_literal_response();
  return gb_test_report("body_cache");
}
