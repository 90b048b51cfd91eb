#include "gb_window.h"

#include <stdlib.h>
#include <string.h>

int64_t gb_hour_of(int64_t timestamp_ms)
{
  int64_t r = timestamp_ms % GB_HOUR_MS;

  return timestamp_ms - (r < 0 ? r + GB_HOUR_MS : r);
}

void gb_view_init(struct gb_view *view, int64_t now_ms)
{
  memset(view, 0, sizeof(*view));
  for (int p = 0; p < GB_PERIOD_COUNT; p++)
    view->periods[p].start_ms =
        gb_period_window_start((enum gb_period)p, now_ms);
  /* Empty windows that end just before the widest one starts: the first
   * advance then reads every hour of the month, so a view built over an
   * existing ledger (its document deleted to rebuild it) counts it all. */
  view->end_ms = view->periods[GB_PERIOD_MONTHLY].start_ms - 1;
}

void gb_view_cleanup(struct gb_view *view)
{
  free(view->cursors);
  view->cursors = NULL;
  view->cursor_count = view->cursor_cap = 0;
}

bool gb_view_add_cursor(struct gb_view *view, int64_t hour_ms,
                        int64_t applied)
{
  struct gb_cursor *grown;

  if (applied < 0 || (view->cursor_count > 0 &&
                      view->cursors[view->cursor_count - 1].hour_ms >= hour_ms))
    return false;
  if (view->cursor_count == view->cursor_cap) {
    size_t cap = view->cursor_cap ? view->cursor_cap * 2 : 64;

    grown = realloc(view->cursors, cap * sizeof(*grown));
    if (!grown)
      return false;
    view->cursors = grown;
    view->cursor_cap = cap;
  }
  view->cursors[view->cursor_count].hour_ms = hour_ms;
  view->cursors[view->cursor_count++].applied = applied;
  return true;
}

void gb_bucket_cleanup(struct gb_bucket *bucket)
{
  free(bucket->entries);
  bucket->entries = NULL;
  bucket->count = 0;
}

void gb_changes_cleanup(struct gb_changes *changes)
{
  free(changes->items);
  memset(changes, 0, sizeof(*changes));
}

static int compare_hours(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* Does the hour [h, h+1h) meet [lo, hi] (both inclusive)? */
static bool hour_meets(int64_t h, int64_t lo, int64_t hi)
{
  return lo <= hi && h <= hi && h + GB_HOUR_MS > lo;
}

struct hour_list {
  size_t count, cap;
  int64_t *items;
};

static bool add_hour(struct hour_list *list, int64_t hour_ms)
{
  if (list->count == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 16;
    int64_t *grown = realloc(list->items, cap * sizeof(*grown));

    if (!grown)
      return false;
    list->items = grown;
    list->cap = cap;
  }
  list->items[list->count++] = hour_ms;
  return true;
}

/* The hours meeting [lo, hi] whose entries may change status. Entries
 * only leave a window if they were counted, so only cursor hours matter
 * there; entering ones may also sit in a bucket no advance has read yet
 * (its game's invocation failed after appending and was never delivered
 * again), so every hour of an entering span is read. */
static bool add_span(struct hour_list *list, const struct gb_view *view,
                     int64_t lo, int64_t hi, bool entering)
{
  if (lo > hi)
    return true;
  if (entering) {
    for (int64_t h = gb_hour_of(lo); h <= hi; h += GB_HOUR_MS)
      if (!add_hour(list, h))
        return false;
    return true;
  }
  for (size_t i = 0; i < view->cursor_count; i++)
    if (hour_meets(view->cursors[i].hour_ms, lo, hi) &&
        !add_hour(list, view->cursors[i].hour_ms))
      return false;
  return true;
}

bool gb_view_hours_to_read(const struct gb_view *view, int64_t now_ms,
                           const int64_t *new_game_times, size_t new_games,
                           int64_t **hours, size_t *hour_count)
{
  struct hour_list list = {0, 0, NULL};
  bool ok = true;
  size_t unique = 0;

  for (size_t i = 0; ok && i < new_games; i++)
    ok = add_hour(&list, gb_hour_of(new_game_times[i]));
  /* A start moving back brings [to, from) in; moving on lets [from, to)
   * out. The end moving on brings (from, to] in; moving back lets
   * (to, from] out. */
  for (int p = 0; ok && p < GB_PERIOD_COUNT; p++) {
    int64_t from = view->periods[p].start_ms;
    int64_t to = gb_period_window_start((enum gb_period)p, now_ms);

    ok = to < from ? add_span(&list, view, to, from - 1, true)
                   : add_span(&list, view, from, to - 1, false);
  }
  if (ok)
    ok = now_ms > view->end_ms
             ? add_span(&list, view, view->end_ms + 1, now_ms, true)
             : add_span(&list, view, now_ms + 1, view->end_ms, false);
  if (!ok) {
    free(list.items);
    return false;
  }
  if (list.count > 0)
    qsort(list.items, list.count, sizeof(*list.items), compare_hours);
  for (size_t i = 0; i < list.count; i++)
    if (unique == 0 || list.items[unique - 1] != list.items[i])
      list.items[unique++] = list.items[i];
  *hours = list.items;
  *hour_count = unique;
  return true;
}

static int64_t cursor_of(const struct gb_view *view, int64_t hour_ms)
{
  size_t lo = 0, hi = view->cursor_count;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (view->cursors[mid].hour_ms == hour_ms)
      return view->cursors[mid].applied;
    if (view->cursors[mid].hour_ms < hour_ms)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static bool counts(const struct gb_entry *e, int64_t start_ms, int64_t end_ms)
{
  return e->timestamp_ms >= start_ms && e->timestamp_ms <= end_ms;
}

static bool record_change(struct gb_changes *changes, enum gb_period period,
                          const char *winner, int64_t delta)
{
  if (changes->count == changes->cap) {
    size_t cap = changes->cap ? changes->cap * 2 : 16;
    struct gb_change *grown = realloc(changes->items, cap * sizeof(*grown));

    if (!grown)
      return false;
    changes->items = grown;
    changes->cap = cap;
  }
  changes->items[changes->count].period = period;
  changes->items[changes->count].winner = winner;
  changes->items[changes->count++].delta = delta;
  return true;
}

static int compare_changes(const void *a, const void *b)
{
  const struct gb_change *x = a, *y = b;

  if (x->period != y->period)
    return x->period < y->period ? -1 : 1;
  return strcmp(x->winner, y->winner);
}

/* One change per (period, winner), zero deltas dropped. */
static void merge_changes(struct gb_changes *changes)
{
  size_t out = 0;

  if (changes->count == 0)
    return;
  qsort(changes->items, changes->count, sizeof(*changes->items),
        compare_changes);
  for (size_t i = 0; i < changes->count;) {
    struct gb_change merged = changes->items[i++];

    while (i < changes->count &&
           compare_changes(&merged, &changes->items[i]) == 0)
      merged.delta += changes->items[i++].delta;
    if (merged.delta != 0)
      changes->items[out++] = merged;
  }
  changes->count = out;
}

static bool apply_sums(struct gb_period_sums *sums, const struct gb_entry *e,
                       int64_t sign)
{
  sums->games += sign;
  sums->rock += sign * e->rock;
  sums->paper += sign * e->paper;
  sums->scissors += sign * e->scissors;
  return sums->games >= 0 && sums->rock >= 0 && sums->paper >= 0 &&
         sums->scissors >= 0;
}

/* The entries of one bucket that change status, into next's sums and
 * changes. */
static bool advance_bucket(const struct gb_view *view, struct gb_view *next,
                           const struct gb_bucket *bucket,
                           struct gb_changes *changes, const char **problem)
{
  int64_t applied = cursor_of(view, bucket->hour_ms);

  if ((int64_t)bucket->count < applied) {
    *problem = "a ledger bucket is shorter than the view's cursor on it";
    return false;
  }
  for (size_t i = 0; i < bucket->count; i++) {
    const struct gb_entry *e = &bucket->entries[i];

    if (gb_hour_of(e->timestamp_ms) != bucket->hour_ms) {
      *problem = "a ledger entry lies outside its bucket's hour";
      return false;
    }
    for (int p = 0; p < GB_PERIOD_COUNT; p++) {
      bool was = (int64_t)i < applied &&
                 counts(e, view->periods[p].start_ms, view->end_ms);
      bool is = counts(e, next->periods[p].start_ms, next->end_ms);
      int64_t sign = (int64_t)is - (int64_t)was;

      if (sign == 0)
        continue;
      if (!apply_sums(&next->periods[p], e, sign)) {
        *problem = "a leaderboard sum would go negative";
        return false;
      }
      if (!record_change(changes, (enum gb_period)p, e->winner, sign)) {
        *problem = "out of memory";
        return false;
      }
    }
  }
  return true;
}

/* next's cursors: view's, moved to the ends of the buckets read, without
 * the hours no window can reach any more. */
static bool merge_cursors(const struct gb_view *view, struct gb_view *next,
                          const struct gb_bucket *buckets, size_t bucket_count)
{
  int64_t keep_from =
      next->periods[GB_PERIOD_MONTHLY].start_ms - GB_WINDOW_RETAIN_MS;
  size_t i = 0, j = 0;

  while (i < view->cursor_count || j < bucket_count) {
    struct gb_cursor c;

    if (j < bucket_count && j > 0 &&
        buckets[j].hour_ms <= buckets[j - 1].hour_ms)
      return false; /* buckets must ascend */
    if (j >= bucket_count ||
        (i < view->cursor_count &&
         view->cursors[i].hour_ms < buckets[j].hour_ms)) {
      c = view->cursors[i++];
    } else {
      if (i < view->cursor_count &&
          view->cursors[i].hour_ms == buckets[j].hour_ms)
        i++;
      c.hour_ms = buckets[j].hour_ms;
      c.applied = (int64_t)buckets[j++].count;
    }
    if (c.hour_ms + GB_HOUR_MS <= keep_from || c.applied == 0)
      continue;
    if (!gb_view_add_cursor(next, c.hour_ms, c.applied))
      return false;
  }
  return true;
}

bool gb_view_advance(const struct gb_view *view, int64_t now_ms,
                     const struct gb_bucket *buckets, size_t bucket_count,
                     struct gb_view *next, struct gb_changes *changes,
                     const char **problem)
{
  memset(next, 0, sizeof(*next));
  memset(changes, 0, sizeof(*changes));
  memcpy(next->lineage, view->lineage, sizeof(next->lineage));
  next->version = view->version + 1;
  next->end_ms = now_ms;
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    next->periods[p] = view->periods[p];
    next->periods[p].start_ms =
        gb_period_window_start((enum gb_period)p, now_ms);
  }
  for (size_t b = 0; b < bucket_count; b++)
    if (!advance_bucket(view, next, &buckets[b], changes, problem))
      goto fail;
  if (!merge_cursors(view, next, buckets, bucket_count)) {
    *problem = "ledger buckets out of order, or out of memory";
    goto fail;
  }
  merge_changes(changes);
  return true;

fail:
  gb_view_cleanup(next);
  gb_changes_cleanup(changes);
  return false;
}

int64_t gb_view_ledger_horizon(const struct gb_view *view)
{
  /* One hour more than the cursors keep, so that no bucket goes before
   * its cursor. */
  return gb_hour_of(view->periods[GB_PERIOD_MONTHLY].start_ms -
                    GB_WINDOW_RETAIN_MS) -
         GB_HOUR_MS;
}

void gb_view_board(const struct gb_view *view, enum gb_period period,
                   struct gb_leaderboard *lb)
{
  const struct gb_period_sums *sums = &view->periods[period];

  memset(lb, 0, sizeof(*lb));
  lb->period = period;
  lb->window_start_ms = sums->start_ms;
  lb->window_end_ms = view->end_ms;
  lb->games = sums->games;
  lb->rock_count = sums->rock;
  lb->paper_count = sums->paper;
  lb->scissors_count = sums->scissors;
}
