#include "gb_invocation.h"
#include "gb_test.h"

static bool parse(struct gb_invocation *inv, const char *body, const char *id,
                  struct gb_error *err)
{
  gb_error_clear(err);
  return gb_invocation_parse(inv, body, strlen(body), id, err);
}

/* Data.eventGridEvent as the host sends it: an object. */
static void test_event_as_object(void)
{
  struct gb_invocation inv;
  struct gb_error err;
  cJSON *owned;
  const cJSON *ev;

  CHECK(parse(&inv,
              "{\"Data\":{\"eventGridEvent\":{\"id\":\"e1\"}},"
              "\"Metadata\":{\"data\":{},\"sys\":{\"MethodName\":"
              "\"GameCompleted\"}}}",
              "6f0c2b1e-0000-4000-8000-000000000001", &err));
  CHECK_STR(inv.id, "6f0c2b1e-0000-4000-8000-000000000001");
  CHECK(inv.metadata != NULL);
  ev = gb_invocation_binding(&inv, "eventGridEvent", &owned, &err);
  CHECK(ev && cJSON_IsObject(ev));
  CHECK(owned == NULL);
  CHECK_STR(cJSON_GetObjectItem(ev, "id")->valuestring, "e1");
  gb_invocation_cleanup(&inv);
}

/* The host's double encoding: a string holding a JSON string holding the
 * object (a binding with dataType "string"). */
static void test_double_encoded(void)
{
  struct gb_invocation inv;
  struct gb_error err;
  cJSON *owned;
  const cJSON *ev;

  CHECK(parse(&inv,
              "{\"Data\":{\"eventGridEvent\":"
              "\"\\\"{\\\\\\\"id\\\\\\\":\\\\\\\"e2\\\\\\\"}\\\"\"},"
              "\"Metadata\":{}}",
              NULL, &err));
  CHECK_STR(inv.id, "-");
  ev = gb_invocation_binding(&inv, "eventGridEvent", &owned, &err);
  CHECK(ev && cJSON_IsObject(ev));
  CHECK(owned != NULL);
  CHECK_STR(cJSON_GetObjectItem(ev, "id")->valuestring, "e2");
  cJSON_Delete(owned);
  gb_invocation_cleanup(&inv);

  /* Encoded once. */
  CHECK(parse(&inv, "{\"Data\":{\"e\":\"{\\\"id\\\":\\\"e3\\\"}\"}}", NULL,
              &err));
  ev = gb_invocation_binding(&inv, "e", &owned, &err);
  CHECK(ev && cJSON_IsObject(ev));
  cJSON_Delete(owned);
  gb_invocation_cleanup(&inv);
}

static void test_bad_envelopes(void)
{
  struct gb_invocation inv;
  struct gb_error err;
  cJSON *owned;

  CHECK(!parse(&inv, "not json", NULL, &err));
  CHECK_STR(err.field, "body");
  gb_invocation_cleanup(&inv);
  CHECK(!parse(&inv, "[1]", NULL, &err));
  CHECK_STR(err.field, "body");
  gb_invocation_cleanup(&inv);
  CHECK(!parse(&inv, "{\"Metadata\":{}}", NULL, &err));
  CHECK_STR(err.field, "Data");
  gb_invocation_cleanup(&inv);
  CHECK(!parse(&inv, "{\"Data\":\"x\"}", NULL, &err));
  CHECK_STR(err.field, "Data");
  gb_invocation_cleanup(&inv);
  CHECK(!parse(&inv, "{\"Data\":{},\"Metadata\":[]}", NULL, &err));
  CHECK_STR(err.field, "Metadata");
  gb_invocation_cleanup(&inv);

  CHECK(parse(&inv, "{\"Data\":{\"other\":{}}}", NULL, &err));
  CHECK(!gb_invocation_binding(&inv, "eventGridEvent", &owned, &err));
  CHECK_STR(err.field, "Data.eventGridEvent");
  CHECK(!owned);
  gb_invocation_cleanup(&inv);

  CHECK(parse(&inv, "{\"Data\":{\"eventGridEvent\":\"{oops\"}}", NULL, &err));
  CHECK(!gb_invocation_binding(&inv, "eventGridEvent", &owned, &err));
  CHECK_STR(err.field, "Data.eventGridEvent");
  gb_invocation_cleanup(&inv);
}

static void test_invocation_id(void)
{
  struct gb_invocation inv;
  struct gb_error err;

  CHECK(parse(&inv, "{\"Data\":{}}", "abc\r\nX-Injected: 1", &err));
  CHECK_STR(inv.id, "-");
  gb_invocation_cleanup(&inv);
  CHECK(parse(&inv, "{\"Data\":{}}",
              "0123456789012345678901234567890123456789012345678901234567890"
              "12345",
              &err));
  CHECK_STR(inv.id, "-");
  gb_invocation_cleanup(&inv);
}

static void test_reply(void)
{
  struct gb_invocation inv;
  struct gb_error err;
  cJSON *reply, *logs;
  char *text;

  CHECK(parse(&inv, "{\"Data\":{}}", "id-1", &err));
  gb_invocation_log(&inv, "game=%s outcome=%s", "g1", "counted");
  gb_invocation_log(&inv, "line with\nnewline");
  reply = gb_invocation_reply(&inv, NULL, NULL);
  CHECK(reply != NULL);
  text = cJSON_PrintUnformatted(reply);
  CHECK_STR(text, "{\"Outputs\":{},\"Logs\":[\"game=g1 outcome=counted\","
                  "\"line with?newline\"],\"ReturnValue\":null}");
  cJSON_free(text);
  logs = cJSON_GetObjectItem(reply, "Logs");
  CHECK_INT(cJSON_GetArraySize(logs), 2);
  cJSON_Delete(reply);
  gb_invocation_cleanup(&inv);
}

int main(void)
{
  test_event_as_object();
  test_double_encoded();
  test_bad_envelopes();
  test_invocation_id();
  test_reply();
  return gb_test_report("invocation");
}
