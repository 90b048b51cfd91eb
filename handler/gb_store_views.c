/* gb_store_views: the ledger, the view and the tallies in the database;
 * the incremental refresh of the leaderboards (gb_window.h has the model).
 *
 * A refresh reads the view, reads the ledger buckets the advance needs,
 * and replaces the view only if nobody replaced it meanwhile (its version
 * is the filter). The view lists the tally values of its version
 * (`pending`); they are written after the view, each guarded by the
 * version, and the next refresh writes them again before it advances, so
 * a crash between the two writes loses nothing and never counts twice. */
#include "gb_store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_db_error.h"
#include "gb_log.h"
#include "gb_window.h"

#define VIEW_ID "leaderboards"
/* Attempts at replacing the view when other instances keep replacing it
 * first; past them the invocation fails and is retried later. */
#define VIEW_ATTEMPTS 8
/* Tallies are read in `$in` batches of this many. */
#define IN_BATCH 100
#define TALLY_ID_MAX (sizeof(((struct gb_view *)0)->lineage) + 4 + GB_EMAIL_MAX)

struct tally {
  enum gb_period period;
  char winner[GB_EMAIL_MAX + 1];
  int64_t wins;
};

struct tallies {
  size_t count;
  struct tally *items;
};

static void tallies_cleanup(struct tallies *t)
{
  free(t->items);
  t->items = NULL;
  t->count = 0;
}

static void tally_id(char *buf, size_t size, const char *lineage,
                     enum gb_period period, const char *winner)
{
  snprintf(buf, size, "%s:%d:%s", lineage, (int)period, winner);
}

static void bucket_id(char buf[24], int64_t hour_ms)
{
  snprintf(buf, 24, "%lld", (long long)hour_ms);
}

/* The ledger is one collection per UTC day ("ledger_20261201"): a day that
 * no window reaches is dropped whole, and a write only ever meets that
 * day's buckets (FerretDB scans the collection on every update). */
#define LEDGER_NAME_MAX 32
static void ledger_name(char buf[LEDGER_NAME_MAX], int64_t hour_ms)
{
  int64_t y;
  unsigned m, d;

  gb_civil_from_days(hour_ms / GB_MS_PER_DAY, &y, &m, &d);
  snprintf(buf, LEDGER_NAME_MAX, "%s_%04lld%02u%02u", GB_STORE_LEDGER,
           (long long)y, m, d);
}

static mongoc_collection_t *ledger_of(mongoc_database_t *db, int64_t hour_ms)
{
  char name[LEDGER_NAME_MAX];

  ledger_name(name, hour_ms);
  return mongoc_database_get_collection(db, name);
}

/* ================ Ledger ================ */

static bool matched_one(const bson_t *reply)
{
  bson_iter_t it;

  return bson_iter_init_find(&it, reply, "matchedCount") &&
         bson_iter_as_int64(&it) == 1;
}

/* Updates that create documents are used only where creation is rare:
 * FerretDB's upsert costs a scan of the collection per call. */
bool gb_store_ledger_append(struct gb_store *store, mongoc_database_t *db,
                            const struct gb_game *g, bson_error_t *error)
{
  int64_t hour = gb_hour_of(g->timestamp_ms);
  mongoc_collection_t *ledger = ledger_of(db, hour);
  pthread_mutex_t *lock =
      &store->ledger_lock[(uint64_t)(hour / GB_HOUR_MS) % GB_LEDGER_LOCKS];
  char key[24];
  bson_t *entry, *filter, *update, *created, reply;
  bool ok, appended = false;

  bucket_id(key, hour);
  entry = BCON_NEW("i", BCON_UTF8(g->id), "w", BCON_UTF8(g->winner_email),
                   "t", BCON_DATE_TIME(g->timestamp_ms), "r",
                   BCON_INT32(g->rock_count), "p", BCON_INT32(g->paper_count),
                   "s", BCON_INT32(g->scissors_count));
  /* The Id check and the append are one single-document write: a
   * redelivery matches nothing and appends nothing. */
  filter = BCON_NEW("_id", BCON_UTF8(key), "ids", "{", "$ne",
                    BCON_UTF8(g->id), "}");
  update = BCON_NEW("$push", "{", "ids", BCON_UTF8(g->id), "e",
                    BCON_DOCUMENT(entry), "}", "$inc", "{", "n", BCON_INT32(1),
                    "}");
  created = BCON_NEW("_id", BCON_UTF8(key), "n", BCON_INT32(1), "ids", "[",
                     BCON_UTF8(g->id), "]", "e", "[", BCON_DOCUMENT(entry),
                     "]");
  pthread_mutex_lock(lock);
  ok = mongoc_collection_update_one(ledger, filter, update, NULL, &reply,
                                    error);
  appended = ok && matched_one(&reply);
  bson_destroy(&reply);
  /* Nothing matched: no bucket yet, or the game is in it already. */
  if (ok && !appended) {
    ok = mongoc_collection_insert_one(ledger, created, NULL, NULL, error);
    /* 11000: the bucket exists (with the game, or created by another
     * writer since): the append is tried once more and is then done or
     * was done before. */
    if (!ok && gb_db_classify(error->domain, error->code) ==
                   GB_DB_FAULT_DUPLICATE_KEY)
      ok = mongoc_collection_update_one(ledger, filter, update, NULL, NULL,
                                        error);
  }
  pthread_mutex_unlock(lock);
  bson_destroy(created);
  bson_destroy(update);
  bson_destroy(filter);
  bson_destroy(entry);
  mongoc_collection_destroy(ledger);
  return ok;
}

/* Drops the ledger days before the one of horizon_ms: no window reaches
 * them any more and their games stay in `games`. */
static bool prune_ledger(mongoc_database_t *db, int64_t horizon_ms,
                         bson_error_t *error)
{
  char keep_from[LEDGER_NAME_MAX];
  char **names;
  bool ok = true;

  ledger_name(keep_from, horizon_ms);
  names = mongoc_database_get_collection_names_with_opts(db, NULL, error);
  if (!names)
    return false;
  for (char **n = names; ok && *n; n++) {
    /* Same-length names sort by date. */
    if (strncmp(*n, GB_STORE_LEDGER "_", sizeof(GB_STORE_LEDGER)) == 0 &&
        strlen(*n) == strlen(keep_from) && strcmp(*n, keep_from) < 0) {
      mongoc_collection_t *day = mongoc_database_get_collection(db, *n);

      ok = mongoc_collection_drop(day, error);
      /* 26: dropped meanwhile by another instance. */
      if (!ok && error->code == 26)
        ok = true;
      mongoc_collection_destroy(day);
    }
  }
  bson_strfreev(names);
  return ok;
}

static bool copy_utf8(const bson_iter_t *it, char *out, size_t size,
                      size_t min_len)
{
  uint32_t len;
  const char *s;

  if (!BSON_ITER_HOLDS_UTF8(it))
    return false;
  s = bson_iter_utf8(it, &len);
  if (len < min_len || len >= size || strlen(s) != len)
    return false;
  memcpy(out, s, len + 1);
  return true;
}

static bool read_move(const bson_iter_t *it, int32_t *out)
{
  if (!BSON_ITER_HOLDS_INT32(it))
    return false;
  *out = bson_iter_int32(it);
  return *out >= 0 && *out <= GB_MOVE_COUNT_MAX;
}

static bool entry_from_bson(bson_iter_t *doc, struct gb_entry *e)
{
  unsigned seen = 0;

  while (bson_iter_next(doc)) {
    const char *key = bson_iter_key(doc);

    if (strcmp(key, "i") == 0 && copy_utf8(doc, e->id, sizeof(e->id), 1))
      seen |= 1;
    else if (strcmp(key, "w") == 0 &&
             copy_utf8(doc, e->winner, sizeof(e->winner), 1))
      seen |= 2;
    else if (strcmp(key, "t") == 0 && BSON_ITER_HOLDS_DATE_TIME(doc)) {
      e->timestamp_ms = bson_iter_date_time(doc);
      seen |= 4;
    } else if (strcmp(key, "r") == 0 && read_move(doc, &e->rock))
      seen |= 8;
    else if (strcmp(key, "p") == 0 && read_move(doc, &e->paper))
      seen |= 16;
    else if (strcmp(key, "s") == 0 && read_move(doc, &e->scissors))
      seen |= 32;
  }
  return seen == 63;
}

/* A ledger document into bucket (its hour already set). */
static bool bucket_from_bson(const bson_t *doc, struct gb_bucket *bucket)
{
  bson_iter_t it, array, item;
  size_t cap = 0;

  if (!bson_iter_init_find(&it, doc, "e") || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &array))
    return false;
  while (bson_iter_next(&array)) {
    if (bucket->count == cap) {
      size_t grown_cap = cap ? cap * 2 : 16;
      struct gb_entry *grown =
          realloc(bucket->entries, grown_cap * sizeof(*grown));

      if (!grown)
        return false;
      bucket->entries = grown;
      cap = grown_cap;
    }
    memset(&bucket->entries[bucket->count], 0, sizeof(struct gb_entry));
    if (!BSON_ITER_HOLDS_DOCUMENT(&array) ||
        !bson_iter_recurse(&array, &item) ||
        !entry_from_bson(&item, &bucket->entries[bucket->count]))
      return false;
    bucket->count++;
  }
  return true;
}

static struct gb_bucket *bucket_for(struct gb_bucket *buckets, size_t count,
                                    int64_t hour_ms)
{
  size_t lo = 0, hi = count;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (buckets[mid].hour_ms == hour_ms)
      return &buckets[mid];
    if (buckets[mid].hour_ms < hour_ms)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* Reads the ledger documents filter selects into the matching buckets;
 * documents of other hours are skipped only when whole_day is set. */
static bool read_bucket_docs(mongoc_collection_t *ledger, bson_t *filter,
                             bool whole_day, struct gb_bucket *buckets,
                             size_t count, bson_error_t *error)
{
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(ledger, filter, NULL, NULL);
  const bson_t *doc;
  bool ok = true;

  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    struct gb_bucket *bucket = NULL;
    char *end;

    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it)) {
      const char *key = bson_iter_utf8(&it, NULL);
      long long hour = strtoll(key, &end, 10);

      if (*key && *end == '\0')
        bucket = bucket_for(buckets, count, (int64_t)hour);
      if (!bucket && whole_day && *key && *end == '\0')
        continue;
    }
    if (!bucket || bucket->count > 0 || !bucket_from_bson(doc, bucket))
      ok = gb_store_bad_reply(error, "ledger bucket");
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  return ok;
}

/* The buckets of the given hours (ascending), empty where none is stored:
 * a point read for a day's only hour, the day's whole collection (at most
 * 24 buckets) for several. */
static bool read_buckets(mongoc_database_t *db, const int64_t *hours,
                         size_t count, struct gb_bucket *buckets,
                         bson_error_t *error)
{
  bool ok = true;
  char key[24];

  for (size_t i = 0; i < count; i++)
    buckets[i].hour_ms = hours[i];
  for (size_t from = 0; ok && from < count;) {
    int64_t day = hours[from] / GB_MS_PER_DAY;
    mongoc_collection_t *ledger = ledger_of(db, hours[from]);
    size_t to = from + 1;
    bson_t *filter;

    while (to < count && hours[to] / GB_MS_PER_DAY == day)
      to++;
    if (to - from == 1) {
      bucket_id(key, hours[from]);
      filter = BCON_NEW("_id", BCON_UTF8(key));
    } else {
      filter = bson_new();
    }
    ok = read_bucket_docs(ledger, filter, to - from > 1, buckets, count,
                          error);
    bson_destroy(filter);
    mongoc_collection_destroy(ledger);
    from = to;
  }
  return ok;
}

/* ================ The view document ================ */

static bool period_from_bson(bson_iter_t *doc, int index,
                             struct gb_period_sums *sums)
{
  unsigned seen = 0;

  while (bson_iter_next(doc)) {
    const char *key = bson_iter_key(doc);

    if (strcmp(key, "p") == 0 && BSON_ITER_HOLDS_UTF8(doc) &&
        strcmp(bson_iter_utf8(doc, NULL),
               gb_period_name((enum gb_period)index)) == 0)
      seen |= 1;
    else if (strcmp(key, "start") == 0 && BSON_ITER_HOLDS_DATE_TIME(doc)) {
      sums->start_ms = bson_iter_date_time(doc);
      seen |= 2;
    } else if (strcmp(key, "games") == 0 &&
               gb_store_read_count(doc, &sums->games))
      seen |= 4;
    else if (strcmp(key, "rock") == 0 && gb_store_read_count(doc, &sums->rock))
      seen |= 8;
    else if (strcmp(key, "paper") == 0 &&
             gb_store_read_count(doc, &sums->paper))
      seen |= 16;
    else if (strcmp(key, "scissors") == 0 &&
             gb_store_read_count(doc, &sums->scissors))
      seen |= 32;
  }
  return seen == 63;
}

static bool periods_from_bson(bson_iter_t *array, struct gb_view *view)
{
  bson_iter_t item;
  int i = 0;

  while (bson_iter_next(array)) {
    if (i >= GB_PERIOD_COUNT || !BSON_ITER_HOLDS_DOCUMENT(array) ||
        !bson_iter_recurse(array, &item) ||
        !period_from_bson(&item, i, &view->periods[i]))
      return false;
    i++;
  }
  return i == GB_PERIOD_COUNT;
}

static bool cursors_from_bson(bson_iter_t *array, struct gb_view *view)
{
  bson_iter_t item;

  while (bson_iter_next(array)) {
    int64_t hour = -1, applied = -1;

    if (!BSON_ITER_HOLDS_DOCUMENT(array) || !bson_iter_recurse(array, &item))
      return false;
    while (bson_iter_next(&item)) {
      if (strcmp(bson_iter_key(&item), "h") == 0 &&
          BSON_ITER_HOLDS_INT64(&item))
        hour = bson_iter_int64(&item);
      else if (strcmp(bson_iter_key(&item), "k") == 0)
        gb_store_read_count(&item, &applied);
    }
    if (hour < 0 || hour % GB_HOUR_MS != 0 || applied < 1 ||
        !gb_view_add_cursor(view, hour, applied))
      return false;
  }
  return true;
}

static bool pending_from_bson(bson_iter_t *array, struct tallies *pending)
{
  bson_iter_t item;
  size_t cap = 0;

  while (bson_iter_next(array)) {
    struct tally t;
    unsigned seen = 0;

    memset(&t, 0, sizeof(t));
    if (!BSON_ITER_HOLDS_DOCUMENT(array) || !bson_iter_recurse(array, &item))
      return false;
    while (bson_iter_next(&item)) {
      const char *key = bson_iter_key(&item);

      if (strcmp(key, "p") == 0 && BSON_ITER_HOLDS_INT32(&item) &&
          bson_iter_int32(&item) >= 0 &&
          bson_iter_int32(&item) < GB_PERIOD_COUNT) {
        t.period = (enum gb_period)bson_iter_int32(&item);
        seen |= 1;
      } else if (strcmp(key, "w") == 0 &&
                 copy_utf8(&item, t.winner, sizeof(t.winner), 1)) {
        seen |= 2;
      } else if (strcmp(key, "n") == 0 && gb_store_read_count(&item, &t.wins)) {
        seen |= 4;
      }
    }
    if (seen != 7)
      return false;
    if (pending->count == cap) {
      size_t grown_cap = cap ? cap * 2 : 8;
      struct tally *grown =
          realloc(pending->items, grown_cap * sizeof(*grown));

      if (!grown)
        return false;
      pending->items = grown;
      cap = grown_cap;
    }
    pending->items[pending->count++] = t;
  }
  return true;
}

static bool view_from_bson(const bson_t *doc, struct gb_view *view,
                           struct tallies *pending)
{
  bson_iter_t it, sub;
  unsigned seen = 0;

  memset(view, 0, sizeof(*view));
  if (!bson_iter_init(&it, doc))
    return false;
  while (bson_iter_next(&it)) {
    const char *key = bson_iter_key(&it);

    if (strcmp(key, "l") == 0 &&
        copy_utf8(&it, view->lineage, sizeof(view->lineage), 1))
      seen |= 1;
    else if (strcmp(key, "v") == 0 && BSON_ITER_HOLDS_INT64(&it) &&
             bson_iter_int64(&it) > 0) {
      view->version = bson_iter_int64(&it);
      seen |= 2;
    } else if (strcmp(key, "end") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it)) {
      view->end_ms = bson_iter_date_time(&it);
      seen |= 4;
    } else if (strcmp(key, "periods") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
               bson_iter_recurse(&it, &sub) && periods_from_bson(&sub, view))
      seen |= 8;
    else if (strcmp(key, "cursors") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
             bson_iter_recurse(&it, &sub) && cursors_from_bson(&sub, view))
      seen |= 16;
    else if (strcmp(key, "pending") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
             bson_iter_recurse(&it, &sub) && pending_from_bson(&sub, pending))
      seen |= 32;
  }
  return seen == 63;
}

static bool read_view(mongoc_collection_t *views, struct gb_view *view,
                      struct tallies *pending, bool *found,
                      bson_error_t *error)
{
  bson_t *filter = BCON_NEW("_id", BCON_UTF8(VIEW_ID));
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(views, filter, NULL, NULL);
  const bson_t *doc;
  bool ok = true;

  *found = false;
  if (mongoc_cursor_next(cursor, &doc)) {
    *found = true;
    if (!view_from_bson(doc, view, pending)) {
      /* Deleting the document makes the next refresh rebuild the view
       * from the ledger. */
      bson_set_error(error, MONGOC_ERROR_PROTOCOL,
                     MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                     "the stored leaderboard view (%s/%s) is not one "
                     "gridboard wrote; delete it to rebuild it",
                     GB_STORE_VIEWS, VIEW_ID);
      ok = false;
    }
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(filter);
  return ok;
}

static void append_view(bson_t *doc, const struct gb_view *view,
                        const struct tallies *pending)
{
  bson_t array, item;
  char index[16];
  const char *k;

  BSON_APPEND_UTF8(doc, "_id", VIEW_ID);
  BSON_APPEND_UTF8(doc, "l", view->lineage);
  BSON_APPEND_INT64(doc, "v", view->version);
  BSON_APPEND_DATE_TIME(doc, "end", view->end_ms);
  bson_append_array_begin(doc, "periods", -1, &array);
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_period_sums *s = &view->periods[p];

    bson_uint32_to_string((uint32_t)p, &k, index, sizeof(index));
    bson_append_document_begin(&array, k, -1, &item);
    BSON_APPEND_UTF8(&item, "p", gb_period_name((enum gb_period)p));
    BSON_APPEND_DATE_TIME(&item, "start", s->start_ms);
    BSON_APPEND_INT64(&item, "games", s->games);
    BSON_APPEND_INT64(&item, "rock", s->rock);
    BSON_APPEND_INT64(&item, "paper", s->paper);
    BSON_APPEND_INT64(&item, "scissors", s->scissors);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(doc, &array);
  bson_append_array_begin(doc, "cursors", -1, &array);
  for (size_t i = 0; i < view->cursor_count; i++) {
    bson_uint32_to_string((uint32_t)i, &k, index, sizeof(index));
    bson_append_document_begin(&array, k, -1, &item);
    BSON_APPEND_INT64(&item, "h", view->cursors[i].hour_ms);
    BSON_APPEND_INT64(&item, "k", view->cursors[i].applied);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(doc, &array);
  bson_append_array_begin(doc, "pending", -1, &array);
  for (size_t i = 0; i < pending->count; i++) {
    bson_uint32_to_string((uint32_t)i, &k, index, sizeof(index));
    bson_append_document_begin(&array, k, -1, &item);
    BSON_APPEND_INT32(&item, "p", (int32_t)pending->items[i].period);
    BSON_APPEND_UTF8(&item, "w", pending->items[i].winner);
    BSON_APPEND_INT64(&item, "n", pending->items[i].wins);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(doc, &array);
}

/* Stores next in place of the view of version next->version - 1. *won is
 * false when another writer got there first. */
static bool write_view(mongoc_collection_t *views, const struct gb_view *next,
                       const struct tallies *pending, bool *won,
                       bson_error_t *error)
{
  bson_t doc = BSON_INITIALIZER, reply;
  bool ok;

  append_view(&doc, next, pending);
  *won = false;
  if (next->version == 1) {
    ok = mongoc_collection_insert_one(views, &doc, NULL, NULL, error);
    if (ok) {
      *won = true;
    } else if (gb_db_classify(error->domain, error->code) ==
               GB_DB_FAULT_DUPLICATE_KEY) {
      ok = true; /* created meanwhile: read it and advance that one */
    }
  } else {
    bson_t *filter = BCON_NEW("_id", BCON_UTF8(VIEW_ID), "l",
                              BCON_UTF8(next->lineage), "v",
                              BCON_INT64(next->version - 1));

    ok = mongoc_collection_replace_one(views, filter, &doc, NULL, &reply,
                                       error);
    *won = ok && matched_one(&reply);
    bson_destroy(&reply);
    bson_destroy(filter);
  }
  bson_destroy(&doc);
  return ok;
}

/* ================ Tallies ================ */

static bson_t *tally_filter(const char *lineage, int64_t version,
                            const struct tally *t)
{
  char id[TALLY_ID_MAX];

  tally_id(id, sizeof(id), lineage, t->period, t->winner);
  return BCON_NEW("_id", BCON_UTF8(id), "v", "{", "$lt", BCON_INT64(version),
                  "}");
}

/* The fields of a tally at a version, without its _id. */
static bson_t *tally_fields(const char *lineage, int64_t version,
                            const struct tally *t)
{
  return BCON_NEW("l", BCON_UTF8(lineage), "p",
                  BCON_UTF8(gb_period_name(t->period)), "w",
                  BCON_UTF8(t->winner), "n", BCON_INT64(t->wins), "v",
                  BCON_INT64(version));
}

static bson_t *tally_set(const bson_t *fields)
{
  return BCON_NEW("$set", BCON_DOCUMENT(fields));
}

/* One tally, alone: update; else create; a creation that meets an existing
 * tally (11000) means another writer made it, so the update is tried once
 * more, and matching nothing then means it holds this version already. */
static bool write_tally(mongoc_collection_t *tallies, const char *lineage,
                        int64_t version, const struct tally *t,
                        bson_error_t *error)
{
  bson_t *filter = tally_filter(lineage, version, t);
  bson_t *fields = tally_fields(lineage, version, t);
  bson_t *set = tally_set(fields);
  char id[TALLY_ID_MAX];
  bson_t *doc, reply;
  bool ok, done;

  ok = mongoc_collection_update_one(tallies, filter, set, NULL, &reply, error);
  done = ok && matched_one(&reply);
  bson_destroy(&reply);
  if (ok && !done) {
    tally_id(id, sizeof(id), lineage, t->period, t->winner);
    doc = BCON_NEW("_id", BCON_UTF8(id));
    bson_concat(doc, fields);
    ok = mongoc_collection_insert_one(tallies, doc, NULL, NULL, error);
    if (!ok && gb_db_classify(error->domain, error->code) ==
                   GB_DB_FAULT_DUPLICATE_KEY)
      ok = mongoc_collection_update_one(tallies, filter, set, NULL, NULL,
                                        error);
    bson_destroy(doc);
  }
  bson_destroy(set);
  bson_destroy(fields);
  bson_destroy(filter);
  return ok;
}

/* Writes the tally values of view version `version`. Each write applies
 * only over an older version, so writing them twice is harmless. One bulk
 * round trip of updates; when some matched nothing (a new winner, or a
 * tally at this version already) every tally is written alone. */
static bool write_tallies(mongoc_database_t *db, const char *lineage,
                          int64_t version, const struct tallies *values,
                          bson_error_t *error)
{
  mongoc_collection_t *tallies =
      mongoc_database_get_collection(db, GB_STORE_TALLIES);
  bson_t *bulk_opts = BCON_NEW("ordered", BCON_BOOL(false));
  mongoc_bulk_operation_t *bulk = NULL;
  bson_t reply;
  bson_iter_t it;
  bool ok = true, all;

  if (values->count == 0)
    goto done;
  bulk = mongoc_collection_create_bulk_operation_with_opts(tallies, bulk_opts);
  for (size_t i = 0; ok && i < values->count; i++) {
    bson_t *filter = tally_filter(lineage, version, &values->items[i]);
    bson_t *fields = tally_fields(lineage, version, &values->items[i]);
    bson_t *set = tally_set(fields);

    ok = mongoc_bulk_operation_update_one_with_opts(bulk, filter, set, NULL,
                                                    error);
    bson_destroy(set);
    bson_destroy(fields);
    bson_destroy(filter);
  }
  if (!ok)
    goto done;
  ok = mongoc_bulk_operation_execute(bulk, &reply, error) != 0;
  all = ok && bson_iter_init_find(&it, &reply, "nMatched") &&
        bson_iter_as_int64(&it) == (int64_t)values->count;
  bson_destroy(&reply);
  for (size_t i = 0; ok && !all && i < values->count; i++)
    ok = write_tally(tallies, lineage, version, &values->items[i], error);

done:
  mongoc_bulk_operation_destroy(bulk);
  bson_destroy(bulk_opts);
  mongoc_collection_destroy(tallies);
  return ok;
}

/* The stored win counts of the changed (period, winner) pairs, as the new
 * values: stored + delta. Tallies of a view's lineage hold its previous
 * version's values once its pending writes are done. */
static bool next_tallies(mongoc_database_t *db, const char *lineage,
                         const struct gb_changes *changes,
                         struct tallies *out, bson_error_t *error)
{
  mongoc_collection_t *tallies =
      mongoc_database_get_collection(db, GB_STORE_TALLIES);
  bool ok = true;

  out->count = 0;
  out->items = calloc(changes->count ? changes->count : 1, sizeof(*out->items));
  if (!out->items) {
    mongoc_collection_destroy(tallies);
    return gb_store_bad_reply(error, "allocation (out of memory)");
  }
  for (size_t i = 0; i < changes->count; i++) {
    out->items[i].period = changes->items[i].period;
    snprintf(out->items[i].winner, sizeof(out->items[i].winner), "%s",
             changes->items[i].winner);
  }
  out->count = changes->count;
  for (size_t from = 0; ok && from < changes->count; from += IN_BATCH) {
    bson_t *filter = bson_new(), in, ids;
    mongoc_cursor_t *cursor;
    const bson_t *doc;
    size_t to = from + IN_BATCH < changes->count ? from + IN_BATCH
                                                 : changes->count;

    bson_append_document_begin(filter, "_id", -1, &in);
    bson_append_array_begin(&in, "$in", -1, &ids);
    for (size_t i = from; i < to; i++) {
      char index[16], id[TALLY_ID_MAX];
      const char *k;

      bson_uint32_to_string((uint32_t)(i - from), &k, index, sizeof(index));
      tally_id(id, sizeof(id), lineage, out->items[i].period,
               out->items[i].winner);
      BSON_APPEND_UTF8(&ids, k, id);
    }
    bson_append_array_end(&in, &ids);
    bson_append_document_end(filter, &in);
    cursor = mongoc_collection_find_with_opts(tallies, filter, NULL, NULL);
    while (ok && mongoc_cursor_next(cursor, &doc)) {
      bson_iter_t it;
      int64_t wins = -1;
      int p = -1;
      char winner[GB_EMAIL_MAX + 1] = "";
      size_t i;

      if (bson_iter_init(&it, doc)) {
        while (bson_iter_next(&it)) {
          const char *key = bson_iter_key(&it);
          enum gb_period period;

          if (strcmp(key, "n") == 0)
            gb_store_read_count(&it, &wins);
          else if (strcmp(key, "w") == 0)
            copy_utf8(&it, winner, sizeof(winner), 1);
          else if (strcmp(key, "p") == 0 && BSON_ITER_HOLDS_UTF8(&it) &&
                   gb_period_parse(bson_iter_utf8(&it, NULL), &period))
            p = (int)period;
        }
      }
      for (i = from; i < to; i++)
        if ((int)out->items[i].period == p &&
            strcmp(out->items[i].winner, winner) == 0)
          break;
      if (wins < 0 || i == to)
        ok = gb_store_bad_reply(error, "tally");
      else
        out->items[i].wins = wins;
    }
    if (ok && mongoc_cursor_error(cursor, error))
      ok = false;
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
  }
  for (size_t i = 0; ok && i < out->count; i++) {
    out->items[i].wins += changes->items[i].delta;
    if (out->items[i].wins < 0)
      ok = gb_store_bad_reply(error, "tally (it would go negative)");
  }
  mongoc_collection_destroy(tallies);
  return ok;
}

/* The ranked top winners of a period, straight from the tallies' index. */
static bool top_winners(mongoc_database_t *db, const char *lineage,
                        struct gb_leaderboard *lb, bson_error_t *error)
{
  mongoc_collection_t *tallies =
      mongoc_database_get_collection(db, GB_STORE_TALLIES);
  bson_t *filter = BCON_NEW("l", BCON_UTF8(lineage), "p",
                            BCON_UTF8(gb_period_name(lb->period)), "n", "{",
                            "$gt", BCON_INT64(0), "}");
  bson_t *opts = BCON_NEW("sort", "{", "l", BCON_INT32(1), "p", BCON_INT32(1),
                          "n", BCON_INT32(-1), "w", BCON_INT32(1), "}",
                          "limit", BCON_INT64(GB_LEADERBOARD_TOP),
                          "projection", "{", "w", BCON_INT32(1), "n",
                          BCON_INT32(1), "}");
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(tallies, filter, opts, NULL);
  const bson_t *doc;
  bool ok = true;

  lb->winner_count = 0;
  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    struct gb_winner w = {"", -1};

    if (bson_iter_init_find(&it, doc, "w"))
      copy_utf8(&it, w.email, sizeof(w.email), 1);
    if (bson_iter_init_find(&it, doc, "n"))
      gb_store_read_count(&it, &w.wins);
    if (!w.email[0] || w.wins < 1 || lb->winner_count >= GB_LEADERBOARD_TOP ||
        (lb->winner_count > 0 &&
         gb_winner_compare(&lb->winners[lb->winner_count - 1], &w) >= 0))
      ok = gb_store_bad_reply(error, "ranked tally");
    else
      lb->winners[lb->winner_count++] = w;
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  bson_destroy(filter);
  mongoc_collection_destroy(tallies);
  return ok;
}

/* ================ Refresh ================ */

struct refresh_ctx {
  struct gb_store *store;
  int64_t now_ms;
  uint64_t ticket;  /* this caller's games are in once it is covered */
  bool need_boards; /* a covered ticket is not enough: the caller reads */
  int64_t *new_game_times; /* the waiting hours this attempt took */
  size_t new_games;
  int64_t started_us;
  int64_t prune_before_ms; /* 0: nothing to prune */
  struct gb_leaderboard boards[GB_PERIOD_COUNT];
};

static void new_lineage(struct gb_store *store, char out[33])
{
  snprintf(out, 33, "%llx%x",
           (unsigned long long)gb_store_next_started_us(store),
           (unsigned)getpid());
}

/* One attempt: read, advance, replace the view. *won false: lost the race,
 * try again. On success next, values hold the new view and its tallies. */
static bool advance_once(struct refresh_ctx *ctx, mongoc_database_t *db,
                         mongoc_collection_t *views, struct gb_view *next,
                         struct tallies *values, bool *won,
                         bson_error_t *error)
{
  struct gb_store *store = ctx->store;
  struct gb_view view;
  struct tallies pending = {0, NULL};
  struct gb_changes changes = {0, 0, NULL};
  struct gb_bucket *buckets = NULL;
  int64_t *hours = NULL;
  size_t hour_count = 0;
  const char *problem = NULL;
  bool found, ok;

  memset(next, 0, sizeof(*next));
  memset(&view, 0, sizeof(view));
  ok = read_view(views, &view, &pending, &found, error);
  if (!ok)
    goto done;
  if (!found) {
    gb_view_init(&view, ctx->now_ms);
    new_lineage(store, view.lineage);
  } else if (pending.count > 0 &&
             (view.version != store->applied_version ||
              strcmp(view.lineage, store->applied_lineage) != 0)) {
    /* The writer of this version may have stopped before its tallies. */
    ok = write_tallies(db, view.lineage, view.version, &pending, error);
    if (!ok)
      goto done;
  }
  if (!gb_view_hours_to_read(&view, ctx->now_ms, ctx->new_game_times,
                             ctx->new_games, &hours, &hour_count) ||
      !(buckets = calloc(hour_count ? hour_count : 1, sizeof(*buckets)))) {
    ok = gb_store_bad_reply(error, "allocation (out of memory)");
    goto done;
  }
  ok = read_buckets(db, hours, hour_count, buckets, error);
  if (ok && !gb_view_advance(&view, ctx->now_ms, buckets, hour_count, next,
                             &changes, &problem)) {
    bson_set_error(error, MONGOC_ERROR_PROTOCOL,
                   MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                   "the leaderboard view cannot advance: %s", problem);
    ok = false;
  }
  if (ok)
    ok = next_tallies(db, next->lineage, &changes, values, error);
  if (ok)
    ok = write_view(views, next, values, won, error);
  if (ok && !*won) {
    gb_view_cleanup(next);
    tallies_cleanup(values);
  }
  /* Once per hour, as the Monthly window moves on. */
  if (ok && *won && view.version > 0 &&
      gb_view_ledger_horizon(&view) != gb_view_ledger_horizon(next))
    ctx->prune_before_ms = gb_view_ledger_horizon(next);

done:
  if (!ok) {
    gb_view_cleanup(next);
    tallies_cleanup(values);
  }
  gb_changes_cleanup(&changes);
  for (size_t i = 0; buckets && i < hour_count; i++)
    gb_bucket_cleanup(&buckets[i]);
  free(buckets);
  free(hours);
  tallies_cleanup(&pending);
  gb_view_cleanup(&view);
  return ok;
}

static bool add_dirty(struct gb_store *store, const int64_t *times,
                      size_t count)
{
  if (store->dirty_count + count > store->dirty_cap) {
    size_t cap = (store->dirty_count + count) * 2 + 16;
    int64_t *grown = realloc(store->dirty_hours, cap * sizeof(*grown));

    if (!grown)
      return false;
    store->dirty_hours = grown;
    store->dirty_cap = cap;
  }
  for (size_t i = 0; i < count; i++)
    store->dirty_hours[store->dirty_count++] = gb_hour_of(times[i]);
  return true;
}

/* Takes every waiting hour and the ticket they bring the view up to. */
static uint64_t take_dirty(struct gb_store *store, int64_t **hours,
                           size_t *count)
{
  uint64_t ticket;

  pthread_mutex_lock(&store->dirty_lock);
  *hours = store->dirty_hours;
  *count = store->dirty_count;
  store->dirty_hours = NULL;
  store->dirty_count = store->dirty_cap = 0;
  ticket = store->dirty_ticket;
  pthread_mutex_unlock(&store->dirty_lock);
  return ticket;
}

/* A failed refresh gives its hours back for the next one to read. */
static void return_dirty(struct gb_store *store, int64_t *hours, size_t count)
{
  pthread_mutex_lock(&store->dirty_lock);
  if (!add_dirty(store, hours, count))
    gb_log_error("leaderboards: %zu ledger hours are read only when their "
                 "games are delivered again (out of memory)", count);
  pthread_mutex_unlock(&store->dirty_lock);
  free(hours);
}

static bool refresh_op(mongoc_database_t *db, void *vctx, bson_error_t *error)
{
  struct refresh_ctx *ctx = vctx;
  struct gb_store *store = ctx->store;
  mongoc_collection_t *views =
      mongoc_database_get_collection(db, GB_STORE_VIEWS);
  mongoc_collection_t *stats = mongoc_database_get_collection(db, "stats");
  int64_t expires = ctx->now_ms + (int64_t)store->ttl_seconds * 1000;
  struct gb_view next;
  struct tallies values = {0, NULL};
  bool ok = true, won = false;
  uint64_t ticket;

  memset(&next, 0, sizeof(next));
  pthread_mutex_lock(&store->views_lock);
  if (!ctx->need_boards && store->covered_ticket >= ctx->ticket) {
    pthread_mutex_unlock(&store->views_lock);
    goto covered;
  }
  /* Stamped under the lock, so that stamps follow the order of the views
   * they describe and the newest leaderboard is the one saved. */
  ctx->started_us = gb_store_next_started_us(store);
  ticket = take_dirty(store, &ctx->new_game_times, &ctx->new_games);
  for (int attempt = 0; ok && !won && attempt < VIEW_ATTEMPTS; attempt++)
    ok = advance_once(ctx, db, views, &next, &values, &won, error);
  if (ok && !won) {
    /* Leaves the error's domain and code "unavailable": a retry fixes it. */
    bson_set_error(error, MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
                   "the leaderboard view kept changing under %d attempts",
                   VIEW_ATTEMPTS);
    ok = false;
  }
  if (ok) {
    ok = write_tallies(db, next.lineage, next.version, &values, error);
    if (ok) {
      memcpy(store->applied_lineage, next.lineage,
             sizeof(store->applied_lineage));
      store->applied_version = next.version;
    }
  }
  if (ok && ctx->prune_before_ms > 0)
    ok = prune_ledger(db, ctx->prune_before_ms, error);
  for (int p = 0; ok && p < GB_PERIOD_COUNT; p++) {
    gb_view_board(&next, (enum gb_period)p, &ctx->boards[p]);
    ctx->boards[p].computed_at_us = ctx->started_us;
    ok = top_winners(db, next.lineage, &ctx->boards[p], error);
  }
  for (int p = 0; ok && p < GB_PERIOD_COUNT; p++) {
    if (ctx->started_us > store->saved_started_us[p]) {
      ok = gb_store_save_leaderboard(stats, &ctx->boards[p], ctx->started_us,
                                     expires, error);
      if (ok)
        store->saved_started_us[p] = ctx->started_us;
    }
  }
  if (ok) {
    if (ticket > store->covered_ticket)
      store->covered_ticket = ticket;
    free(ctx->new_game_times);
  } else {
    return_dirty(store, ctx->new_game_times, ctx->new_games);
  }
  ctx->new_game_times = NULL;
  ctx->new_games = 0;
  pthread_mutex_unlock(&store->views_lock);
  tallies_cleanup(&values);
  gb_view_cleanup(&next);

covered:
  mongoc_collection_destroy(stats);
  mongoc_collection_destroy(views);
  return ok;
}

bool gb_store_refresh_leaderboards(struct gb_store *store, int64_t now_ms,
                                   const int64_t *new_game_times,
                                   size_t new_games,
                                   struct gb_leaderboard *boards,
                                   struct gb_error *err)
{
  struct refresh_ctx *ctx = calloc(1, sizeof(*ctx));
  bool ok;

  if (!ctx)
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "out of memory");
  ctx->store = store;
  ctx->now_ms = now_ms;
  ctx->need_boards = boards != NULL;
  pthread_mutex_lock(&store->dirty_lock);
  ok = add_dirty(store, new_game_times, new_games);
  ctx->ticket = ++store->dirty_ticket;
  pthread_mutex_unlock(&store->dirty_lock);
  if (!ok) {
    free(ctx);
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "out of memory");
  }
  ok = gb_store_run(store, "refreshing the leaderboards", refresh_op, ctx,
                    err);
  if (ok && boards)
    memcpy(boards, ctx->boards, sizeof(ctx->boards));
  free(ctx);
  return ok;
}
