/* The pure parts of publishing: SAS signing, event building, batch
 * splitting and the retry policy. Expected values were computed apart from
 * gridboard: the signature with
 *   printf '%s' "$UNSIGNED" | openssl dgst -sha256 \
 *     -hmac secret-key-for-gridboard -binary | base64
 * and the UUIDs with Python's uuid.uuid5. */
#include <stdlib.h>
#include <string.h>

#include "gb_batch.h"
#include "gb_crypto.h"
#include "gb_game_event.h"
#include "gb_retry.h"
#include "gb_sas.h"
#include "gb_test.h"
#include "gb_time.h"

#define KEY_B64 "c2VjcmV0LWtleS1mb3ItZ3JpZGJvYXJk" /* secret-key-for-… */
#define RESOURCE "https://gameapi.westeurope-1.eventgrid.azure.net/api/events"

static int64_t at(const char *iso)
{
  struct gb_error err;
  int64_t ms = 0;

  CHECK(gb_time_parse(iso, &ms, "t", &err));
  return ms;
}

static void test_sas(void)
{
  char token[GB_SAS_TOKEN_MAX], expiry[32], enc[64];
  struct gb_error err = {0};

  gb_sas_format_expiry(at("2024-12-06T15:19:12Z"), expiry);
  CHECK_STR(expiry, "12/6/2024 3:19:12 PM");
  gb_sas_format_expiry(at("2017-06-15T00:05:09Z"), expiry);
  CHECK_STR(expiry, "6/15/2017 12:05:09 AM");
  gb_sas_format_expiry(at("2017-06-15T12:00:00Z"), expiry);
  CHECK_STR(expiry, "6/15/2017 12:00:00 PM");

  CHECK(gb_url_encode("a b/c?d=e&f~_.-", enc, sizeof(enc)));
  CHECK_STR(enc, "a%20b%2Fc%3Fd%3De%26f~_.-");
  CHECK(!gb_url_encode("////", enc, 12));

  CHECK(gb_sas_token(RESOURCE, KEY_B64, at("2024-12-06T15:19:12Z"), token,
                     sizeof(token), &err));
  CHECK_STR(token,
            "r=https%3A%2F%2Fgameapi.westeurope-1.eventgrid.azure.net%2Fapi"
            "%2Fevents&e=12%2F6%2F2024%203%3A19%3A12%20PM"
            "&s=qH1g8Jo3RSvwlSh9fUvyyfKIy5OlvVBz3zZ1q85XffI%3D");

  CHECK(
      !gb_sas_token(RESOURCE, "not base64!", 0, token, sizeof(token), &err));
  CHECK_STR(err.field, "EVENT_GRID_TOPIC_KEY");
  CHECK(strstr(err.message, "not base64!") == NULL); /* never quoted */
}

static void test_base64_and_uuid(void)
{
  unsigned char buf[64];
  char text[64];
  size_t len;
  static const unsigned char dns_ns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad,
                                           0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0,
                                           0x4f, 0xd4, 0x30, 0xc8};

  CHECK(gb_base64_decode(KEY_B64, buf, sizeof(buf), &len) && len == 24);
  CHECK(memcmp(buf, "secret-key-for-gridboard", 24) == 0);
  CHECK(gb_base64_decode("YQ==", buf, sizeof(buf), &len) && len == 1);
  CHECK(gb_base64_decode("YWI=", buf, sizeof(buf), &len) && len == 2);
  CHECK(!gb_base64_decode("YQ=", buf, sizeof(buf), &len));
  CHECK(!gb_base64_decode("Y=Q=", buf, sizeof(buf), &len));
  CHECK(!gb_base64_decode("YW*=", buf, sizeof(buf), &len));
  CHECK(!gb_base64_decode("", buf, sizeof(buf), &len));
  CHECK(!gb_base64_decode(KEY_B64, buf, 4, &len));
  CHECK(gb_base64_encode((const unsigned char *)"ab", 2, text, sizeof(text)));
  CHECK_STR(text, "YWI=");

  CHECK(gb_uuid_v5(dns_ns, "python.org", text));
  CHECK_STR(text, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

static struct gb_game sample_game(void)
{
  struct gb_game g;

  memset(&g, 0, sizeof(g));
  strcpy(g.id, "5f2a9c1e-8d7b-4e0a-b7a3-1c2d3e4f5a6b");
  strcpy(g.winner_email, "alice@example.com");
  g.rock_count = 3;
  g.paper_count = 2;
  g.scissors_count = 1;
  strcpy(g.timestamp_text, "2024-12-06T15:19:12.3401234Z");
  g.timestamp_ms = at(g.timestamp_text);
  return g;
}

static void test_event_building(void)
{
  struct gb_game g = sample_game();
  cJSON *eg = gb_game_event_build(&g, GB_SCHEMA_EVENT_GRID, "/x");
  cJSON *ce = gb_game_event_build(&g, GB_SCHEMA_CLOUD_EVENTS, "/gridboard");
  char *text = cJSON_PrintUnformatted(eg);
  char id[37];

  CHECK(gb_game_event_id(&g, id));
  CHECK_STR(id, "2358aa6e-8c63-5ecb-8c78-3db4214271ea");
  CHECK_STR(text, "{\"id\":\"2358aa6e-8c63-5ecb-8c78-3db4214271ea\","
                  "\"subject\":\"GameAPI.GameCompleted\","
                  "\"eventType\":\"GameCompleted\","
                  "\"eventTime\":\"2024-12-06T15:19:12.3401234Z\","
                  "\"dataVersion\":\"1.0\",\"data\":{\"Id\":"
                  "\"5f2a9c1e-8d7b-4e0a-b7a3-1c2d3e4f5a6b\",\"WinnerEmail\":"
                  "\"alice@example.com\",\"RockCount\":3,\"PaperCount\":2,"
                  "\"ScissorsCount\":1,\"Timestamp\":"
                  "\"2024-12-06T15:19:12.3401234Z\"}}");
  cJSON_free(text);
  CHECK_STR(cJSON_GetObjectItem(ce, "specversion")->valuestring, "1.0");
  CHECK_STR(cJSON_GetObjectItem(ce, "source")->valuestring, "/gridboard");
  CHECK_STR(cJSON_GetObjectItem(ce, "type")->valuestring, "GameCompleted");
  CHECK_STR(cJSON_GetObjectItem(ce, "id")->valuestring, id);
  CHECK(cJSON_GetObjectItem(ce, "eventType") == NULL);
  cJSON_Delete(eg);
  cJSON_Delete(ce);
}

static void test_batches(void)
{
  size_t lens[] = {400, 400, 400, 300, 10};
  struct gb_batch out[5];
  size_t n = 0;
  struct gb_error err = {0};

  /* 1000 bytes: "[" 400 "," 400 "]" = 803 fits, a third does not. */
  CHECK(gb_batch_split(lens, 5, 1000, 5000, out, 5, &n, &err));
  CHECK_INT(n, 2);
  CHECK_INT(out[0].first, 0);
  CHECK_INT(out[0].count, 2);
  CHECK_INT(out[0].bytes, 803);
  CHECK_INT(out[1].first, 2);
  CHECK_INT(out[1].count, 3);
  CHECK_INT(out[1].bytes, 2 + 400 + 1 + 300 + 1 + 10);

  CHECK(gb_batch_split(lens, 5, 1000000, 2, out, 5, &n, &err));
  CHECK_INT(n, 3);
  CHECK_INT(out[2].count, 1);

  lens[1] = 999;
  CHECK(!gb_batch_split(lens, 5, 1000, 5000, out, 5, &n, &err));
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  lens[1] = 998; /* "[" + 998 + "]" is exactly 1000 */
  CHECK(gb_batch_split(lens, 5, 1000, 5000, out, 5, &n, &err));
  CHECK(!gb_batch_split(lens, 5, 1000, 5000, out, 1, &n, &err));
  CHECK(gb_batch_split(lens, 0, 1000, 5000, out, 5, &n, &err));
  CHECK_INT(n, 0);
}

static void test_batch_body(void)
{
  char a[] = "{\"id\":1}", b[] = "{\"id\":2}", c[] = "{}";
  char *texts[] = {a, b, c};
  size_t lens[] = {strlen(a), strlen(b), strlen(c)};
  struct gb_batch out[3];
  size_t n = 0;
  struct gb_error err = {0};
  char *body;

  CHECK(gb_batch_split(lens, 3, 1000, 2, out, 3, &n, &err));
  CHECK_INT(n, 2);
  body = gb_batch_body(&out[0], texts, lens);
  CHECK_STR(body, "[{\"id\":1},{\"id\":2}]");
  CHECK_INT(strlen(body), out[0].bytes);
  free(body);
  body = gb_batch_body(&out[1], texts, lens);
  CHECK_STR(body, "[{}]");
  CHECK_INT(strlen(body), out[1].bytes);
  free(body);
}

static void test_retry_policy(void)
{
  long codes_retry[] = {408, 429, 500, 502, 503, 504};
  long codes_final[] = {200, 400, 401, 403, 404, 413, 415};
  size_t i;
  int a;
  long ms;

  for (i = 0; i < sizeof(codes_retry) / sizeof(codes_retry[0]); i++)
    CHECK(gb_retry_status_retryable(codes_retry[i]));
  for (i = 0; i < sizeof(codes_final) / sizeof(codes_final[0]); i++)
    CHECK(!gb_retry_status_retryable(codes_final[i]));

  /* Full jitter under a ceiling that doubles up to the cap. */
  CHECK_INT(gb_retry_backoff_ms(0, 100, 2000, 0), 0);
  CHECK_INT(gb_retry_backoff_ms(0, 100, 2000, 100), 100);
  CHECK_INT(gb_retry_backoff_ms(0, 100, 2000, 101), 0);
  CHECK_INT(gb_retry_backoff_ms(3, 100, 2000, 800), 800);
  CHECK_INT(gb_retry_backoff_ms(3, 100, 2000, 801), 0);
  for (a = 0; a < 40; a++)
    CHECK(gb_retry_backoff_ms(a, 100, 2000, 0xFFFFFFFFu) <= 2000);

  CHECK(gb_retry_after_header_ms("3", &ms) && ms == 3000);
  CHECK(gb_retry_after_header_ms("0", &ms) && ms == 0);
  CHECK(!gb_retry_after_header_ms("Wed, 21 Oct 2015 07:28:00 GMT", &ms));
  CHECK(!gb_retry_after_header_ms("-1", &ms));
  CHECK(!gb_retry_after_header_ms(NULL, &ms));
}

int main(void)
{
  test_sas();
  test_base64_and_uuid();
  test_event_building();
  test_batches();
  test_batch_body();
  test_retry_policy();
  return gb_test_report("publish");
}
