#include "gb_json.h"
#include "gb_test.h"

static cJSON *parse(const char *text, struct gb_error *err)
{
  gb_error_clear(err);
  return gb_json_parse(text, strlen(text), "body", err);
}

static void test_accepts_json(void)
{
  struct gb_error err;
  cJSON *v = parse(" {\"a\":[1,2,{\"b\":\"\\\\u0000\"}]} \n", &err);

  CHECK(v != NULL);
  /* An escaped backslash before u0000 is text, not a NUL. */
  CHECK_STR(cJSON_GetObjectItem(
                cJSON_GetArrayItem(cJSON_GetObjectItem(v, "a"), 2), "b")
                ->valuestring,
            "\\u0000");
  cJSON_Delete(v);
}

/* n arrays nested in each other: [[[...]]] */
static const char *nested(char *buf, int n)
{
  memset(buf, '[', (size_t)n);
  memset(buf + n, ']', (size_t)n);
  buf[2 * n] = '\0';
  return buf;
}

static void test_rejects(void)
{
  struct gb_error err;
  char deep[2 * GB_JSON_MAX_DEPTH + 3];
  cJSON *v;

  CHECK(!parse("", &err));
  CHECK_STR(err.field, "body");
  CHECK(!parse("{\"a\":1} x", &err));
  CHECK(strstr(err.message, "after the JSON value") != NULL);
  CHECK(!parse("{\"a\":", &err));
  CHECK_INT(err.kind, GB_ERR_INVALID);
  CHECK(!parse("{\"Id\":\"a\\u0000b\"}", &err));
  CHECK(strstr(err.message, "NUL") != NULL);
  CHECK(!parse("\"\xC3\x28\"", &err));
  CHECK(strstr(err.message, "UTF-8") != NULL);
  CHECK(!gb_json_parse("{\"a\":\"b\0c\"}", 11, "body", &err));
  CHECK(strstr(err.message, "NUL byte") != NULL);

  v = parse(nested(deep, GB_JSON_MAX_DEPTH), &err);
  CHECK(v != NULL);
  cJSON_Delete(v);
  CHECK(!parse(nested(deep, GB_JSON_MAX_DEPTH + 1), &err));
  CHECK(strstr(err.message, "nested deeper") != NULL);
}

static void test_unwrap(void)
{
  struct gb_error err = {0};
  cJSON *owned = NULL;
  /* An object the host encoded once, and one it encoded twice. */
  cJSON *once = cJSON_CreateString("{\"id\":\"e1\"}");
  cJSON *twice = cJSON_CreateString("\"{\\\"id\\\":\\\"e2\\\"}\"");
  cJSON *object = cJSON_CreateObject();
  cJSON *bad = cJSON_CreateString("{not json");
  const cJSON *v;

  v = gb_json_unwrap(once, 2, "Data.x", &owned, &err);
  CHECK(v && cJSON_IsObject(v));
  CHECK_STR(cJSON_GetObjectItem(v, "id")->valuestring, "e1");
  cJSON_Delete(owned);

  v = gb_json_unwrap(twice, 2, "Data.x", &owned, &err);
  CHECK(v && cJSON_IsObject(v));
  CHECK_STR(cJSON_GetObjectItem(v, "id")->valuestring, "e2");
  cJSON_Delete(owned);

  v = gb_json_unwrap(object, 2, "Data.x", &owned, &err);
  CHECK(v == object);
  CHECK(owned == NULL);

  v = gb_json_unwrap(bad, 2, "Data.x", &owned, &err);
  CHECK(v == NULL);
  CHECK(owned == NULL);
  CHECK_STR(err.field, "Data.x");

  cJSON_Delete(once);
  cJSON_Delete(twice);
  cJSON_Delete(object);
  cJSON_Delete(bad);
}

int main(void)
{
  test_accepts_json();
  test_rejects();
  test_unwrap();
  return gb_test_report("json");
}
