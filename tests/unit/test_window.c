/* gb_window: the incremental view's state transitions, without a
 * database. The integration suite checks the same against a
 * recomputation on a real one (tests/store/season.c). */
#include <stdlib.h>

#include "gb_test.h"
#include "gb_time.h"
#include "gb_window.h"

static int64_t at(const char *iso)
{
  struct gb_error err;
  int64_t ms = 0;

  CHECK(gb_time_parse(iso, &ms, "t", &err));
  return ms;
}

/* A ledger of at most 8 buckets of at most 8 entries, as the store would
 * read it. */
struct ledger {
  struct gb_bucket buckets[8];
  struct gb_entry entries[8][8];
  size_t count;
};

static void append(struct ledger *l, const char *id, const char *winner,
                   int64_t t, int rock)
{
  int64_t hour = gb_hour_of(t);
  size_t b;

  for (b = 0; b < l->count && l->buckets[b].hour_ms != hour; b++)
    ;
  if (b == l->count) {
    /* Kept ascending, as gb_view_advance wants them. */
    while (b > 0 && l->buckets[b - 1].hour_ms > hour) {
      l->buckets[b] = l->buckets[b - 1];
      memcpy(l->entries[b], l->entries[b - 1], sizeof(l->entries[b]));
      l->buckets[b].entries = l->entries[b];
      b--;
    }
    l->count++;
    l->buckets[b].hour_ms = hour;
    l->buckets[b].count = 0;
    l->buckets[b].entries = l->entries[b];
  }
  struct gb_entry *e = &l->entries[b][l->buckets[b].count++];
  memset(e, 0, sizeof(*e));
  snprintf(e->id, sizeof(e->id), "%s", id);
  snprintf(e->winner, sizeof(e->winner), "%s", winner);
  e->timestamp_ms = t;
  e->rock = rock;
}

/* Advances *view to now over the whole ledger, replacing it. */
static void advance(struct gb_view *view, int64_t now, struct ledger *l,
                    struct gb_changes *changes)
{
  struct gb_view next;
  const char *problem = NULL;

  CHECK(gb_view_advance(view, now, l->buckets, l->count, &next, changes,
                        &problem));
  CHECK(problem == NULL);
  gb_view_cleanup(view);
  *view = next;
}

static int64_t delta_of(const struct gb_changes *c, enum gb_period p,
                        const char *winner)
{
  for (size_t i = 0; i < c->count; i++)
    if (c->items[i].period == p && strcmp(c->items[i].winner, winner) == 0)
      return c->items[i].delta;
  return 0;
}

static void test_hours(void)
{
  CHECK_INT(gb_hour_of(at("2026-03-01T10:59:59.999Z")),
            at("2026-03-01T10:00:00Z"));
  CHECK_INT(gb_hour_of(at("2026-03-01T11:00:00Z")), at("2026-03-01T11:00:00Z"));
}

static void test_counting_and_redelivery(void)
{
  struct ledger l = {0};
  struct gb_view view;
  struct gb_changes changes;
  int64_t now = at("2026-03-10T12:00:00Z");

  gb_view_init(&view, now);
  append(&l, "a", "alice", now - 1000, 2);
  append(&l, "b", "bob", now - 3 * GB_MS_PER_DAY, 1);
  advance(&view, now, &l, &changes);
  CHECK_INT(view.version, 1);
  CHECK_INT(view.periods[GB_PERIOD_DAILY].games, 1);
  CHECK_INT(view.periods[GB_PERIOD_WEEKLY].games, 2);
  CHECK_INT(view.periods[GB_PERIOD_WEEKLY].rock, 3);
  CHECK_INT(delta_of(&changes, GB_PERIOD_DAILY, "alice"), 1);
  CHECK_INT(delta_of(&changes, GB_PERIOD_DAILY, "bob"), 0);
  CHECK_INT(delta_of(&changes, GB_PERIOD_MONTHLY, "bob"), 1);
  CHECK_INT(view.cursor_count, 2);
  gb_changes_cleanup(&changes);

  /* Reading the same buckets again at the same instant changes nothing:
   * a redelivery appends nothing, so nothing counts twice. */
  advance(&view, now, &l, &changes);
  CHECK_INT(changes.count, 0);
  CHECK_INT(view.periods[GB_PERIOD_WEEKLY].games, 2);
  gb_changes_cleanup(&changes);

  /* A day and a minute later alice's game has left the Daily window. */
  now += GB_MS_PER_DAY + 60000;
  advance(&view, now, &l, &changes);
  CHECK_INT(view.periods[GB_PERIOD_DAILY].games, 0);
  CHECK_INT(view.periods[GB_PERIOD_WEEKLY].games, 2);
  CHECK_INT(delta_of(&changes, GB_PERIOD_DAILY, "alice"), -1);
  CHECK_INT(changes.count, 1);
  gb_changes_cleanup(&changes);
  gb_view_cleanup(&view);
}

static void test_hours_to_read(void)
{
  struct ledger l = {0};
  struct gb_view view;
  struct gb_changes changes;
  int64_t now = at("2026-03-10T12:30:00Z"), *hours = NULL, t;
  size_t n = 0;

  gb_view_init(&view, now);
  /* The first advance reads every hour of the month (a rebuild). */
  CHECK(gb_view_hours_to_read(&view, now, NULL, 0, &hours, &n));
  CHECK(n > 24 * 28 && n < 24 * 32);
  free(hours);

  append(&l, "old", "carol", at("2026-03-09T12:10:00Z"), 0);
  append(&l, "new", "dave", at("2026-03-10T12:20:00Z"), 0);
  advance(&view, now, &l, &changes);
  gb_changes_cleanup(&changes);

  /* Ten minutes on: the game's own hour, the current hour (the end
   * moves), and the cursor hour under the Daily start; not the other
   * hours of the month. */
  now += 10 * 60000;
  t = at("2026-03-03T08:00:00Z");
  CHECK(gb_view_hours_to_read(&view, now, &t, 1, &hours, &n));
  CHECK_INT(n, 3);
  if (n == 3) {
    CHECK_INT(hours[0], at("2026-03-03T08:00:00Z"));
    CHECK_INT(hours[1], at("2026-03-09T12:00:00Z"));
    CHECK_INT(hours[2], at("2026-03-10T12:00:00Z"));
  }
  free(hours);
  gb_view_cleanup(&view);
}

static void test_early_game_counts_when_its_time_comes(void)
{
  struct ledger l = {0};
  struct gb_view view;
  struct gb_changes changes;
  int64_t now = at("2026-03-10T12:00:00Z");

  gb_view_init(&view, now);
  append(&l, "early", "erin", now + 2 * GB_HOUR_MS, 5);
  advance(&view, now, &l, &changes);
  CHECK_INT(view.periods[GB_PERIOD_DAILY].games, 0);
  CHECK_INT(changes.count, 0);
  gb_changes_cleanup(&changes);
  advance(&view, now + 3 * GB_HOUR_MS, &l, &changes);
  CHECK_INT(view.periods[GB_PERIOD_DAILY].games, 1);
  CHECK_INT(view.periods[GB_PERIOD_DAILY].rock, 5);
  CHECK_INT(delta_of(&changes, GB_PERIOD_MONTHLY, "erin"), 1);
  gb_changes_cleanup(&changes);
  gb_view_cleanup(&view);
}

static void test_monthly_start_moving_back(void)
{
  struct ledger l = {0};
  struct gb_view view;
  struct gb_changes changes;
  int64_t first = at("2026-03-28T11:00:00Z");
  int64_t later = at("2026-03-29T09:00:00Z");

  /* 2026-03-28T11:00 starts its month at 02-28T11:00; 03-29T09:00 at
   * 02-28T09:00 (the clamp), so a game at 02-28T10:00 comes back. */
  CHECK_INT(gb_period_window_start(GB_PERIOD_MONTHLY, later),
            at("2026-02-28T09:00:00Z"));
  gb_view_init(&view, first);
  append(&l, "edge", "fay", at("2026-02-28T10:00:00Z"), 1);
  advance(&view, first, &l, &changes);
  CHECK_INT(view.periods[GB_PERIOD_MONTHLY].games, 0);
  gb_changes_cleanup(&changes);
  advance(&view, later, &l, &changes);
  CHECK_INT(view.periods[GB_PERIOD_MONTHLY].games, 1);
  CHECK_INT(delta_of(&changes, GB_PERIOD_MONTHLY, "fay"), 1);
  gb_changes_cleanup(&changes);
  gb_view_cleanup(&view);
}

static void test_inconsistent_inputs(void)
{
  struct ledger l = {0};
  struct gb_view view, next;
  struct gb_changes changes;
  const char *problem = NULL;
  int64_t now = at("2026-03-10T12:00:00Z");

  gb_view_init(&view, now);
  append(&l, "a", "alice", now - 1000, 0);
  append(&l, "b", "bob", now - 2000, 0);
  advance(&view, now, &l, &changes);
  gb_changes_cleanup(&changes);
  /* A bucket shorter than the view's cursor is not what was written. */
  l.buckets[0].count = 1;
  CHECK(!gb_view_advance(&view, now + 1, l.buckets, l.count, &next, &changes,
                         &problem));
  CHECK(problem != NULL);
  /* An entry filed under the wrong hour either. */
  l.buckets[0].count = 2;
  l.entries[0][1].timestamp_ms -= GB_HOUR_MS;
  problem = NULL;
  CHECK(!gb_view_advance(&view, now + 1, l.buckets, l.count, &next, &changes,
                         &problem));
  CHECK(problem != NULL);
  gb_view_cleanup(&view);
}

static void test_cursors_retired(void)
{
  struct ledger l = {0};
  struct gb_view view;
  struct gb_changes changes;
  int64_t now = at("2026-03-10T12:00:00Z");

  gb_view_init(&view, now);
  append(&l, "a", "alice", now - 1000, 0);
  advance(&view, now, &l, &changes);
  gb_changes_cleanup(&changes);
  CHECK_INT(view.cursor_count, 1);
  CHECK(gb_view_ledger_horizon(&view) < gb_hour_of(now - 1000));
  /* Past the month and the retention the cursor goes, and the bucket is
   * behind the ledger's horizon. */
  now += 40 * GB_MS_PER_DAY;
  advance(&view, now, &l, &changes);
  CHECK_INT(view.cursor_count, 0);
  CHECK_INT(view.periods[GB_PERIOD_MONTHLY].games, 0);
  CHECK_INT(delta_of(&changes, GB_PERIOD_MONTHLY, "alice"), -1);
  CHECK(gb_view_ledger_horizon(&view) > gb_hour_of(now - 40 * GB_MS_PER_DAY));
  gb_changes_cleanup(&changes);
  gb_view_cleanup(&view);
}

int main(void)
{
  test_hours();
  test_counting_and_redelivery();
  test_hours_to_read();
  test_early_game_counts_when_its_time_comes();
  test_monthly_start_moving_back();
  test_inconsistent_inputs();
  test_cursors_retired();
  return gb_test_report("window");
}
