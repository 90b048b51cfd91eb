#include "gb_game.h"
#include "gb_test.h"
#include "gb_time.h"

/* 2024-12-06T15:19:12.340Z */
#define NOW INT64_C(1733498352340)

static const char *valid_game =
    "{\"Id\":\"5f2a9c1e-8d7b-4e0a-b7a3-1c2d3e4f5a6b\","
    "\"WinnerEmail\":\"alice@example.com\",\"RockCount\":3,"
    "\"PaperCount\":2,\"ScissorsCount\":1,"
    "\"Timestamp\":\"2024-12-06T15:19:12.3401234Z\",\"Extra\":true}";

/* The valid game with one member replaced (value NULL: removed). */
static bool validate_with(const char *name, const char *value,
                          struct gb_error *err)
{
  cJSON *obj = cJSON_Parse(valid_game);
  struct gb_game game;
  bool ok;

  cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
  if (value)
    cJSON_AddItemToObject(obj, name, cJSON_Parse(value));
  gb_error_clear(err);
  ok = gb_game_from_json(obj, NOW, &game, err);
  cJSON_Delete(obj);
  return ok;
}

static void expect_invalid(const char *name, const char *value,
                           const char *message_part)
{
  struct gb_error err;

  CHECK(!validate_with(name, value, &err));
  CHECK_INT(err.kind, GB_ERR_INVALID);
  CHECK_STR(err.field, name);
  if (!strstr(err.message, message_part)) {
    fprintf(stderr, "  %s=%s: message \"%s\" lacks \"%s\"\n", name,
            value ? value : "(removed)", err.message, message_part);
    CHECK(0);
  }
}

static void test_valid_game(void)
{
  cJSON *obj = cJSON_Parse(valid_game);
  struct gb_error err = {0};
  struct gb_game game, copy;

  CHECK(gb_game_from_json(obj, NOW, &game, &err));
  CHECK_STR(game.id, "5f2a9c1e-8d7b-4e0a-b7a3-1c2d3e4f5a6b");
  CHECK_STR(game.winner_email, "alice@example.com");
  CHECK_INT(game.rock_count, 3);
  CHECK_INT(game.paper_count, 2);
  CHECK_INT(game.scissors_count, 1);
  CHECK_INT(game.timestamp_ms, NOW);

  copy = game;
  CHECK(gb_game_same(&game, &copy));
  copy.paper_count++;
  CHECK(!gb_game_same(&game, &copy));
  copy = game;
  copy.timestamp_ms++;
  CHECK(!gb_game_same(&game, &copy));
  cJSON_Delete(obj);

  /* The bot's literal name, zero moves (a forfeit), the limits. */
  CHECK(validate_with("WinnerEmail", "\"Bot\"", &err));
  CHECK(validate_with("RockCount", "0", &err));
  CHECK(validate_with("RockCount", "100000", &err));
  CHECK(validate_with("RockCount", "2.0", &err));
  CHECK(validate_with("Id", "\"a_b-C9\"", &err));
  CHECK(validate_with("WinnerEmail", "\"j\\u00f6rg@example.com\"", &err));
  CHECK(validate_with("Timestamp", "\"2024-12-07T15:19:12Z\"", &err));
}

static void test_invalid_fields(void)
{
  expect_invalid("Id", NULL, "required");
  expect_invalid("Id", "null", "required");
  expect_invalid("Id", "42", "string");
  expect_invalid("Id", "{\"$gt\":\"\"}", "string");
  expect_invalid("Id", "\"\"", "1 to 64");
  expect_invalid(
      "Id",
      "\"0123456789012345678901234567890123456789012345678901234567"
      "890123456789\"",
      "1 to 64");
  expect_invalid("Id", "\"a.b\"", "letters");
  expect_invalid("Id", "\"a b\"", "letters");
  expect_invalid("Id", "\"$where\"", "letters");

  expect_invalid("WinnerEmail", NULL, "required");
  expect_invalid("WinnerEmail", "[\"a\"]", "string");
  expect_invalid("WinnerEmail", "\"\"", "1 to 254");
  expect_invalid("WinnerEmail", "\"a\\nb@example.com\"", "control");
  expect_invalid("WinnerEmail", "\"a\\u0007b\"", "control");

  expect_invalid("RockCount", NULL, "required");
  expect_invalid("RockCount", "\"3\"", "number");
  expect_invalid("RockCount", "true", "number");
  expect_invalid("PaperCount", "-1", "between 0 and");
  expect_invalid("PaperCount", "100001", "between 0 and");
  expect_invalid("ScissorsCount", "1.5", "whole number");
  expect_invalid("ScissorsCount", "1e300", "between 0 and");

  expect_invalid("Timestamp", NULL, "required");
  expect_invalid("Timestamp", "1733498352", "string");
  expect_invalid("Timestamp", "\"not a date\"", "ISO-8601");
  expect_invalid("Timestamp", "\"2024-12-06T15:19:12\"", "UTC offset");
  expect_invalid("Timestamp", "\"1999-12-31T23:59:59Z\"", "2000-01-01");
  expect_invalid("Timestamp", "\"2024-12-07T15:19:13Z\"", "from now");
  expect_invalid("Timestamp", "\"9999-12-31T23:59:59Z\"", "from now");
}

static void test_not_an_object(void)
{
  struct gb_error err = {0};
  struct gb_game game;
  cJSON *arr = cJSON_CreateArray();

  CHECK(!gb_game_from_json(arr, NOW, &game, &err));
  CHECK_STR(err.field, "data");
  CHECK(!gb_game_from_json(NULL, NOW, &game, &err));
  cJSON_Delete(arr);
}

/* A camelCase game: the error names the PascalCase field and the case. */
static void test_camel_case_field_names(void)
{
  cJSON *obj = cJSON_Parse(valid_game);
  struct gb_error err = {0};
  struct gb_game game;

  cJSON_DeleteItemFromObjectCaseSensitive(obj, "Id");
  cJSON_AddStringToObject(obj, "id", "5f2a9c1e");
  CHECK(!gb_game_from_json(obj, NOW, &game, &err));
  CHECK_INT(err.kind, GB_ERR_INVALID);
  CHECK_STR(err.field, "Id");
  CHECK(strstr(err.message, "found \"id\"") != NULL);
  CHECK(strstr(err.message, "PascalCase") != NULL);
  cJSON_Delete(obj);
}

int main(void)
{
  test_valid_game();
  test_camel_case_field_names();
  test_invalid_fields();
  test_not_an_object();
  return gb_test_report("game");
}
