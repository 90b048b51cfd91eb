#include "gb_leaderboard.h"
#include "gb_test.h"
#include "gb_time.h"

static int64_t at(const char *iso)
{
  struct gb_error err;
  int64_t ms = 0;

  CHECK(gb_time_parse(iso, &ms, "t", &err));
  return ms;
}

static void test_periods(void)
{
  enum gb_period p;
  int64_t now = at("2024-03-31T12:00:00Z");

  CHECK(gb_period_parse("Daily", &p) && p == GB_PERIOD_DAILY);
  CHECK(gb_period_parse("weekly", &p) && p == GB_PERIOD_WEEKLY);
  CHECK(gb_period_parse("MONTHLY", &p) && p == GB_PERIOD_MONTHLY);
  CHECK(!gb_period_parse("Yearly", &p));
  CHECK(!gb_period_parse("", &p));
  CHECK(!gb_period_parse("Daily ", &p));
  CHECK_STR(gb_period_name(GB_PERIOD_WEEKLY), "Weekly");

  CHECK_INT(gb_period_window_start(GB_PERIOD_DAILY, now),
            at("2024-03-30T12:00:00Z"));
  CHECK_INT(gb_period_window_start(GB_PERIOD_WEEKLY, now),
            at("2024-03-24T12:00:00Z"));
  /* One calendar month back from March 31st is February 29th. */
  CHECK_INT(gb_period_window_start(GB_PERIOD_MONTHLY, now),
            at("2024-02-29T12:00:00Z"));
}

static void test_ranking(void)
{
  struct gb_leaderboard lb;
  char email[32];
  int i;

  gb_leaderboard_init(&lb, GB_PERIOD_DAILY, at("2024-12-06T00:00:00Z"));
  CHECK_INT(lb.winner_count, 0);
  /* 14 players offered in scrambled order: wins = i % 7 + 1. */
  for (i = 0; i < 14; i++) {
    int k = (i * 5) % 14;
    snprintf(email, sizeof(email), "p%02d@example.com", k);
    gb_leaderboard_offer(&lb, email, k % 7 + 1);
  }
  CHECK_INT(lb.winner_count, GB_LEADERBOARD_TOP);
  /* 7 wins: p06, p13; 6: p05, p12; 5: p04, p11; 4: p03, p10; 3: p02, p09 */
  CHECK_STR(lb.winners[0].email, "p06@example.com");
  CHECK_INT(lb.winners[0].wins, 7);
  CHECK_STR(lb.winners[1].email, "p13@example.com");
  CHECK_STR(lb.winners[2].email, "p05@example.com");
  CHECK_STR(lb.winners[8].email, "p02@example.com");
  CHECK_STR(lb.winners[9].email, "p09@example.com");
  CHECK_INT(lb.winners[9].wins, 3);
  for (i = 1; i < GB_LEADERBOARD_TOP; i++)
    CHECK(gb_winner_compare(&lb.winners[i - 1], &lb.winners[i]) < 0);

  /* A tie is broken by email in byte order ("Bot" sorts before "alice"). */
  gb_leaderboard_init(&lb, GB_PERIOD_DAILY, 0);
  gb_leaderboard_offer(&lb, "alice@example.com", 2);
  gb_leaderboard_offer(&lb, "Bot", 2);
  gb_leaderboard_offer(&lb, "zed@example.com", 3);
  CHECK_STR(lb.winners[0].email, "zed@example.com");
  CHECK_STR(lb.winners[1].email, "Bot");
  CHECK_STR(lb.winners[2].email, "alice@example.com");
}

static void test_json(void)
{
  struct gb_leaderboard lb;
  cJSON *json;
  char *text;

  gb_leaderboard_init(&lb, GB_PERIOD_WEEKLY, at("2024-12-08T00:00:00Z"));
  gb_leaderboard_offer(&lb, "alice@example.com", 5);
  lb.games = 5;
  lb.rock_count = 21;
  lb.paper_count = 17;
  lb.scissors_count = 14;
  json = gb_leaderboard_to_json(&lb);
  text = cJSON_PrintUnformatted(json);
  CHECK_STR(text,
            "{\"id\":\"Weekly\",\"period\":\"Weekly\",\"winners\":[{"
            "\"winnerEmail\":\"alice@example.com\",\"wins\":5}],\"moves\":[{"
            "\"move\":\"Rock\",\"count\":21},{\"move\":\"Paper\",\"count\":"
            "17},{\"move\":\"Scissors\",\"count\":14}],\"games\":5,"
            "\"windowStart\":\"2024-12-01T00:00:00.000Z\",\"windowEnd\":"
            "\"2024-12-08T00:00:00.000Z\"}");
  cJSON_free(text);
  cJSON_Delete(json);
}

int main(void)
{
  test_periods();
  test_ranking();
  test_json();
  return gb_test_report("leaderboard");
}
