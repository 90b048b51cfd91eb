#include "gb_event.h"
#include "gb_test.h"

static bool parse(const char *text, struct gb_event *ev, struct gb_error *err)
{
  cJSON *v = cJSON_Parse(text);
  bool ok;

  gb_error_clear(err);
  ok = gb_event_parse(v, ev, err);
  /* data points into v unless it was parsed from a string: check now. */
  if (ok)
    CHECK(cJSON_IsObject(ev->data));
  gb_event_cleanup(ev);
  cJSON_Delete(v);
  return ok;
}

static void test_event_grid_schema(void)
{
  struct gb_event ev;
  struct gb_error err;
  cJSON *v = cJSON_Parse(
      "{\"id\":\"e1\",\"topic\":\"/subscriptions/x\",\"subject\":"
      "\"GameAPI.GameCompleted\",\"eventType\":\"GameCompleted\","
      "\"dataVersion\":\"1.0\",\"metadataVersion\":\"1\",\"eventTime\":"
      "\"2024-12-06T15:19:12.345Z\",\"data\":{\"Id\":\"g1\"}}");

  CHECK(gb_event_parse(v, &ev, &err));
  CHECK_INT(ev.schema, GB_SCHEMA_EVENT_GRID);
  CHECK_STR(ev.id, "e1");
  CHECK_STR(ev.type, "GameCompleted");
  CHECK_STR(cJSON_GetObjectItem(ev.data, "Id")->valuestring, "g1");
  CHECK(ev.owned_data == NULL);
  gb_event_cleanup(&ev);
  cJSON_Delete(v);

  /* data serialized as a JSON string, an empty subject */
  CHECK(parse("{\"id\":\"e1\",\"subject\":\"\",\"eventType\":\"X\","
              "\"eventTime\":\"t\",\"data\":\"{\\\"Id\\\":\\\"g1\\\"}\"}",
              &ev, &err));

  CHECK(!parse("{\"subject\":\"s\",\"eventType\":\"X\",\"eventTime\":\"t\","
               "\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "id");
  CHECK(!parse("{\"id\":\"\",\"subject\":\"s\",\"eventType\":\"X\","
               "\"eventTime\":\"t\",\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "id");
  CHECK(!parse("{\"id\":\"e\",\"subject\":\"s\",\"eventType\":7,"
               "\"eventTime\":\"t\",\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "eventType");
  CHECK(!parse("{\"id\":\"e\",\"eventType\":\"X\",\"eventTime\":\"t\","
               "\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "subject");
  CHECK(!parse("{\"id\":\"e\",\"subject\":\"s\",\"eventType\":\"X\","
               "\"eventTime\":\"t\"}",
               &ev, &err));
  CHECK_STR(err.field, "data");
  CHECK(!parse("{\"id\":\"e\",\"subject\":\"s\",\"eventType\":\"X\","
               "\"eventTime\":\"t\",\"data\":\"{broken\"}",
               &ev, &err));
  CHECK_STR(err.field, "data");
}

static void test_cloud_events(void)
{
  struct gb_event ev;
  struct gb_error err;
  cJSON *v = cJSON_Parse(
      "{\"specversion\":\"1.0\",\"id\":\"c1\",\"source\":\"GameAPI\","
      "\"type\":\"GameCompleted\",\"time\":\"2024-12-06T15:19:12Z\","
      "\"datacontenttype\":\"application/json\",\"data\":{\"Id\":\"g2\"}}");

  CHECK(gb_event_parse(v, &ev, &err));
  CHECK_INT(ev.schema, GB_SCHEMA_CLOUD_EVENTS);
  CHECK_STR(ev.id, "c1");
  CHECK_STR(ev.type, "GameCompleted");
  gb_event_cleanup(&ev);
  cJSON_Delete(v);

  CHECK(!parse("{\"specversion\":\"0.3\",\"id\":\"c\",\"source\":\"s\","
               "\"type\":\"X\",\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "specversion");
  CHECK(!parse("{\"id\":\"c\",\"source\":\"s\",\"type\":\"X\",\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "specversion");
  CHECK(!parse("{\"specversion\":\"1.0\",\"id\":\"c\",\"type\":\"X\","
               "\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "source");
  CHECK(!parse("{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"s\","
               "\"data\":{}}",
               &ev, &err));
  CHECK_STR(err.field, "type");
}

static void test_not_an_event(void)
{
  struct gb_event ev;
  struct gb_error err;

  CHECK(!parse("[]", &ev, &err));
  CHECK_STR(err.field, "event");
  CHECK(!parse("{\"hello\":1}", &ev, &err));
  CHECK_STR(err.field, "eventType");
}

int main(void)
{
  test_event_grid_schema();
  test_cloud_events();
  test_not_an_event();
  return gb_test_report("event");
}
