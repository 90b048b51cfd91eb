/* The saved leaderboards: refreshing the board from the games, reading it.
 * The protocol and its invariants: docs/internals/leaderboards.md. The
 * state transitions themselves are pure code in gb_board.c; this file
 * reads and writes the documents they need. */
#include "gb_store.h"
#include "gb_store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>

#include "gb_board.h"
#include "gb_db_error.h"
#include "gb_dynbuf.h"
#include "gb_log.h"
#include "gb_time.h"

#define BOARD_ID "leaderboards"
/* Statements per update command: FerretDB v1.24.2 stops answering when
 * one command carries about 100 (databases.md rule 18). */
#define STATEMENTS_PER_COMMAND 40
/* Attempts of a refresh whose board write met another instance's. */
#define REFRESH_ATTEMPTS 8
/* Refreshes one call makes while games stay pending beyond the bound of
 * one refresh. */
#define REFRESH_ROUNDS 64
/* Games one read of the pending games returns at most (the 400 of
 * docs/internals/leaderboards.md): as many as a board's take list
 * holds. */
#define PENDING_READ_MAX ((size_t)2 * GB_BOARD_TAKE_MAX)
/* A refresh's pending games: one pending read, then at most the Ids of
 * the previous board's take list (2 * GB_BOARD_TAKE_MAX, the bound
 * gb_board_add_take keeps) read apart and added once each. */
#define PENDING_MAX (PENDING_READ_MAX + (size_t)2 * GB_BOARD_TAKE_MAX)
/* When a board's journal is written out with it (journal_due). */
#define JOURNAL_EVERY 4
#define JOURNAL_TAKES 16
#define JOURNAL_TALLIES 32
/* For this long after another instance was seen replacing this process's
 * board, a refresh that would start from the board it wrote looks at the
 * stored board's version first: the compare-and-set would likely fail. */
#define OTHERS_SEEN_MS 60000

static const char *const tally_field[GB_PERIOD_COUNT] = {"n0", "n1", "n2"};
static const char *const period_key[GB_PERIOD_COUNT] = {"p0", "p1", "p2"};

bool gb_store_out_of_memory(bson_error_t *error)
{
  bson_set_error(error, GB_STORE_ERROR_DOMAIN, GB_STORE_OUT_OF_MEMORY,
                 "out of memory");
  return false;
}

/* A list's growth that failed (gb_dynbuf), as the store reports it. */
static bool list_failed(bson_error_t *error, const char *what,
                        const struct gb_error *err)
{
  if (err->kind != GB_ERR_TOO_LARGE)
    return gb_store_out_of_memory(error);
  bson_set_error(error, GB_STORE_ERROR_DOMAIN, GB_STORE_TOO_MANY, "%s: %s",
                 what, err->message);
  return false;
}

/* ================ The board document ================ */

static bool read_text(const bson_iter_t *it, char *out, size_t size)
{
  uint32_t len;
  const char *s;

  if (!BSON_ITER_HOLDS_UTF8(it))
    return false;
  s = bson_iter_utf8(it, &len);
  if (len == 0 || len >= size || memchr(s, '\0', len))
    return false;
  memcpy(out, s, len + 1);
  return true;
}

static bool read_int(const bson_iter_t *it, int64_t *out)
{
  if (!BSON_ITER_HOLDS_INT64(it) && !BSON_ITER_HOLDS_INT32(it))
    return false;
  *out = bson_iter_as_int64(it);
  return true;
}

static bool read_top(bson_iter_t *array, struct gb_board_period *bp)
{
  bson_iter_t item;

  while (bson_iter_next(array)) {
    struct gb_ranked *r;
    unsigned seen = 0;

    if (bp->top_count >= GB_BOARD_TOP || !BSON_ITER_HOLDS_DOCUMENT(array) ||
        !bson_iter_recurse(array, &item))
      return false;
    r = &bp->top[bp->top_count++];
    while (bson_iter_next(&item)) {
      const char *key = bson_iter_key(&item);
      if (strcmp(key, "w") == 0 &&
          read_text(&item, r->winner, sizeof(r->winner)))
        seen |= 1;
      else if (strcmp(key, "n") == 0 && gb_store_read_count(&item, &r->wins))
        seen |= 2;
    }
    if (seen != 3 || r->wins < 1)
      return false;
  }
  return true;
}

static bool read_period(bson_iter_t *doc, struct gb_board_period *bp)
{
  unsigned seen = 0;

  while (bson_iter_next(doc)) {
    const char *key = bson_iter_key(doc);
    bson_iter_t sub;

    if (strcmp(key, "start") == 0 && BSON_ITER_HOLDS_DATE_TIME(doc)) {
      bp->start_ms = bson_iter_date_time(doc);
      seen |= 1;
    } else if (strcmp(key, "g") == 0 &&
               gb_store_read_count(doc, &bp->games)) {
      seen |= 2;
    } else if (strcmp(key, "r") == 0 && gb_store_read_count(doc, &bp->rock)) {
      seen |= 4;
    } else if (strcmp(key, "pa") == 0 &&
               gb_store_read_count(doc, &bp->paper)) {
      seen |= 8;
    } else if (strcmp(key, "sc") == 0 &&
               gb_store_read_count(doc, &bp->scissors)) {
      seen |= 16;
    } else if (strcmp(key, "more") == 0 && BSON_ITER_HOLDS_BOOL(doc)) {
      bp->more = bson_iter_bool(doc);
      seen |= 32;
    } else if (strcmp(key, "top") == 0 && BSON_ITER_HOLDS_ARRAY(doc) &&
               bson_iter_recurse(doc, &sub) && read_top(&sub, bp)) {
      seen |= 64;
    }
  }
  return seen == 127;
}

static bool read_take(bson_iter_t *array, struct gb_board *board)
{
  char id[GB_GAME_ID_MAX + 1];

  while (bson_iter_next(array))
    if (!read_text(array, id, sizeof(id)) || !gb_board_add_take(board, id))
      return false;
  return true;
}

static bool read_plan(bson_iter_t *array, struct gb_board *board)
{
  bson_iter_t item;

  while (bson_iter_next(array)) {
    struct gb_tally t = {.mask = 0};
    bool named = false;

    if (!BSON_ITER_HOLDS_DOCUMENT(array) || !bson_iter_recurse(array, &item))
      return false;
    while (bson_iter_next(&item)) {
      const char *key = bson_iter_key(&item);

      if (strcmp(key, "w") == 0) {
        named = read_text(&item, t.winner, sizeof(t.winner));
        continue;
      }
      for (int p = 0; p < GB_PERIOD_COUNT; p++)
        if (strcmp(key, tally_field[p]) == 0) {
          if (!gb_store_read_count(&item, &t.wins[p]))
            return false;
          t.mask |= 1u << p;
        }
    }
    if (!named || !t.mask || !gb_board_add_tally(board, &t))
      return false;
  }
  return true;
}

/* The fields of a board document, as read_board_fields reports them. */
enum board_field {
  FIELD_LINEAGE = 1,
  FIELD_SEQ = 2,
  FIELD_STAMP = 4,
  FIELD_END = 8,
  FIELD_TAKE = 16,
  FIELD_PLAN = 32,
  FIELD_PERIODS = 64 | 128 | 256 /* 64 << period */
};

/* The parts of the board a read asks for, and the fields each needs. */
enum board_part {
  BOARD_WHOLE,       /* a refresh's starting point */
  BOARD_NO_JOURNAL,  /* a reader's: without take and plan */
  BOARD_VERSION_TAKE /* a paced turn's look (probe_turn) */
};

static const unsigned part_fields[] = {
    [BOARD_WHOLE] = FIELD_LINEAGE | FIELD_SEQ | FIELD_STAMP | FIELD_END |
                    FIELD_TAKE | FIELD_PLAN | FIELD_PERIODS,
    [BOARD_NO_JOURNAL] =
        FIELD_LINEAGE | FIELD_SEQ | FIELD_STAMP | FIELD_END | FIELD_PERIODS,
    [BOARD_VERSION_TAKE] =
        FIELD_LINEAGE | FIELD_SEQ | FIELD_END | FIELD_TAKE};

/* A board document back into board: the fields read well (enum
 * board_field); a field missing or malformed is left out. */
static unsigned read_board_fields(const bson_t *doc, struct gb_board *board)
{
  bson_iter_t it, sub;
  unsigned seen = 0;

  if (!bson_iter_init(&it, doc))
    return 0;
  while (bson_iter_next(&it)) {
    const char *key = bson_iter_key(&it);

    if (strcmp(key, "l") == 0 &&
        read_text(&it, board->lineage, sizeof(board->lineage)))
      seen |= FIELD_LINEAGE;
    else if (strcmp(key, "s") == 0 && read_int(&it, &board->seq) &&
             board->seq > 0)
      seen |= FIELD_SEQ;
    else if (strcmp(key, "at") == 0 && read_int(&it, &board->stamp_us))
      seen |= FIELD_STAMP;
    else if (strcmp(key, "end") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it)) {
      board->end_ms = bson_iter_date_time(&it);
      seen |= FIELD_END;
    } else if (strcmp(key, "take") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
               bson_iter_recurse(&it, &sub) && read_take(&sub, board))
      seen |= FIELD_TAKE;
    else if (strcmp(key, "plan") == 0 && BSON_ITER_HOLDS_ARRAY(&it) &&
             bson_iter_recurse(&it, &sub) && read_plan(&sub, board))
      seen |= FIELD_PLAN;
    else
      for (int p = 0; p < GB_PERIOD_COUNT; p++)
        if (strcmp(key, period_key[p]) == 0 &&
            BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &sub) &&
            read_period(&sub, &board->periods[p]))
          seen |= 64u << p;
  }
  return seen;
}

static void append_top(bson_t *doc, const char *key_name,
                       const struct gb_board_period *bp)
{
  bson_t array, item;
  char key[16];
  const char *k;

  bson_append_array_begin(doc, key_name, -1, &array);
  for (size_t i = 0; i < bp->top_count; i++) {
    bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
    bson_append_document_begin(&array, k, -1, &item);
    BSON_APPEND_UTF8(&item, "w", bp->top[i].winner);
    BSON_APPEND_INT64(&item, "n", bp->top[i].wins);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(doc, &array);
}

static void append_take(bson_t *doc, const struct gb_board *board)
{
  bson_t array;
  char key[16];
  const char *k;

  bson_append_array_begin(doc, "take", -1, &array);
  for (size_t i = 0; i < board->take_count; i++) {
    bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
    bson_append_utf8(&array, k, -1, board->take[i], -1);
  }
  bson_append_array_end(doc, &array);
}

static void append_plan(bson_t *doc, const struct gb_board *board)
{
  bson_t array, item;
  char key[16];
  const char *k;

  bson_append_array_begin(doc, "plan", -1, &array);
  for (size_t i = 0; i < board->plan_count; i++) {
    const struct gb_tally *t = &board->plan[i];

    bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
    bson_append_document_begin(&array, k, -1, &item);
    BSON_APPEND_UTF8(&item, "w", t->winner);
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if (t->mask & (1u << p))
        BSON_APPEND_INT64(&item, tally_field[p], t->wins[p]);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(doc, &array);
}

static void append_board(bson_t *doc, const struct gb_board *board)
{
  bson_t sub;

  BSON_APPEND_UTF8(doc, "_id", BOARD_ID);
  BSON_APPEND_UTF8(doc, "l", board->lineage);
  BSON_APPEND_INT64(doc, "s", board->seq);
  BSON_APPEND_INT64(doc, "at", board->stamp_us);
  BSON_APPEND_DATE_TIME(doc, "end", board->end_ms);
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_board_period *bp = &board->periods[p];

    bson_append_document_begin(doc, period_key[p], -1, &sub);
    BSON_APPEND_DATE_TIME(&sub, "start", bp->start_ms);
    BSON_APPEND_INT64(&sub, "g", bp->games);
    BSON_APPEND_INT64(&sub, "r", bp->rock);
    BSON_APPEND_INT64(&sub, "pa", bp->paper);
    BSON_APPEND_INT64(&sub, "sc", bp->scissors);
    BSON_APPEND_BOOL(&sub, "more", bp->more);
    append_top(&sub, "top", bp);
    bson_append_document_end(doc, &sub);
  }
  append_take(doc, board);
  append_plan(doc, board);
}

static bool same_top(const struct gb_board_period *a,
                     const struct gb_board_period *b)
{
  if (a->top_count != b->top_count)
    return false;
  for (size_t i = 0; i < a->top_count; i++)
    if (a->top[i].wins != b->top[i].wins ||
        strcmp(a->top[i].winner, b->top[i].winner) != 0)
      return false;
  return true;
}

static bool same_take(const struct gb_board *a, const struct gb_board *b)
{
  if (a->take_count != b->take_count)
    return false;
  for (size_t i = 0; i < a->take_count; i++)
    if (strcmp(a->take[i], b->take[i]) != 0)
      return false;
  return true;
}

static bool same_plan(const struct gb_board *a, const struct gb_board *b)
{
  if (a->plan_count != b->plan_count)
    return false;
  for (size_t i = 0; i < a->plan_count; i++) {
    const struct gb_tally *x = &a->plan[i], *y = &b->plan[i];

    if (x->mask != y->mask || strcmp(x->winner, y->winner) != 0)
      return false;
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if ((x->mask & (1u << p)) && x->wins[p] != y->wins[p])
        return false;
  }
  return true;
}

/* A top list's change as the entries that moved, when the list keeps its
 * length and most of it stays (a winner's count changing moves it past
 * its ties only), else the list whole: a refresh sends bytes for what it
 * changed. */
static void append_top_changes(bson_t *set, const char *period,
                               const struct gb_board_period *a,
                               const struct gb_board_period *b)
{
  char key[32];
  size_t changed = 0;

  if (a->top_count == b->top_count)
    for (size_t i = 0; i < b->top_count; i++)
      changed += a->top[i].wins != b->top[i].wins ||
                 strcmp(a->top[i].winner, b->top[i].winner) != 0;
  if (a->top_count != b->top_count || 2 * changed > b->top_count) {
    snprintf(key, sizeof(key), "%s.top", period);
    append_top(set, key, b);
    return;
  }
  for (size_t i = 0; i < b->top_count; i++) {
    const struct gb_ranked *x = &a->top[i], *y = &b->top[i];

    if (strcmp(x->winner, y->winner) != 0) {
      bson_t item;

      snprintf(key, sizeof(key), "%s.top.%zu", period, i);
      bson_append_document_begin(set, key, -1, &item);
      BSON_APPEND_UTF8(&item, "w", y->winner);
      BSON_APPEND_INT64(&item, "n", y->wins);
      bson_append_document_end(set, &item);
    } else if (x->wins != y->wins) {
      snprintf(key, sizeof(key), "%s.top.%zu.n", period, i);
      BSON_APPEND_INT64(set, key, y->wins);
    }
  }
}

/* The update that turns the stored board prev into next: only the fields
 * that differ, so that a refresh sends what it changed, not the board. */
static void append_board_changes(bson_t *update, const struct gb_board *prev,
                                 const struct gb_board *next)
{
  bson_t set;
  char key[16];

  bson_append_document_begin(update, "$set", -1, &set);
  BSON_APPEND_INT64(&set, "s", next->seq);
  BSON_APPEND_INT64(&set, "at", next->stamp_us);
  if (next->end_ms != prev->end_ms)
    BSON_APPEND_DATE_TIME(&set, "end", next->end_ms);
  for (int p = 0; p < GB_PERIOD_COUNT; p++) {
    const struct gb_board_period *a = &prev->periods[p],
                                 *b = &next->periods[p];
#define CHANGED_FIELD(name, member, append)                                  \
  if (a->member != b->member) {                                              \
    snprintf(key, sizeof(key), "%s.%s", period_key[p], name);                \
    append(&set, key, b->member);                                            \
  }
    CHANGED_FIELD("start", start_ms, BSON_APPEND_DATE_TIME)
    CHANGED_FIELD("g", games, BSON_APPEND_INT64)
    CHANGED_FIELD("r", rock, BSON_APPEND_INT64)
    CHANGED_FIELD("pa", paper, BSON_APPEND_INT64)
    CHANGED_FIELD("sc", scissors, BSON_APPEND_INT64)
    CHANGED_FIELD("more", more, BSON_APPEND_BOOL)
#undef CHANGED_FIELD
    if (!same_top(a, b))
      append_top_changes(&set, period_key[p], a, b);
  }
  if (!same_take(prev, next))
    append_take(&set, next);
  if (!same_plan(prev, next))
    append_plan(&set, next);
  bson_append_document_end(update, &set);
}

/* Finds the board document matching filter, with opts (both taken over
 * and destroyed); *found false when there is none. When there is one and
 * read is not NULL, read parses it. */
static bool find_board(mongoc_database_t *db, bson_t *filter, bson_t *opts,
                       bool (*read)(const bson_t *doc, void *arg,
                                    bson_error_t *error),
                       void *arg, bool *found, bson_error_t *error)
{
  mongoc_collection_t *boards =
      mongoc_database_get_collection(db, GB_STORE_BOARDS);
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(boards, filter, opts, NULL);
  const bson_t *doc;
  bool ok = true;

  *found = mongoc_cursor_next(cursor, &doc);
  if (*found && read)
    ok = read(doc, arg, error);
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  bson_destroy(filter);
  mongoc_collection_destroy(boards);
  return ok;
}

struct board_reading {
  enum board_part part;
  struct gb_board *board;
};

/* A document that lacks a field the part needs is an error: a refresh
 * must not build over it blindly. */
static bool read_board_part(const bson_t *doc, void *arg, bson_error_t *error)
{
  struct board_reading *r = arg;

  if ((read_board_fields(doc, r->board) & part_fields[r->part]) !=
      part_fields[r->part])
    return gb_store_bad_reply(error, "leaderboard board document");
  return true;
}

/* Reads part of the board; *found false when there is none. */
static bool read_board(mongoc_database_t *db, enum board_part part,
                       struct gb_board *board, bool *found,
                       bson_error_t *error)
{
  struct board_reading reading = {part, board};
  bson_t *opts;

  if (part == BOARD_WHOLE)
    opts = BCON_NEW("limit", BCON_INT64(1));
  else if (part == BOARD_NO_JOURNAL) /* a reader needs neither */
    opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "take",
                    BCON_INT32(0), "plan", BCON_INT32(0), "}");
  else
    opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "l",
                    BCON_INT32(1), "s", BCON_INT32(1), "end", BCON_INT32(1),
                    "take", BCON_INT32(1), "}");
  return find_board(db, BCON_NEW("_id", BCON_UTF8(BOARD_ID)), opts,
                    read_board_part, &reading, found, error);
}

/* Writes next if the stored board is still prev (I1), as the changes
 * from prev (equal to the stored board when the filter matches): *won
 * false when another refresh wrote first. */
static bool write_board(mongoc_database_t *db, const struct gb_board *prev,
                        bool prev_stored, const struct gb_board *next,
                        bool *won, bson_error_t *error)
{
  mongoc_collection_t *boards =
      mongoc_database_get_collection(db, GB_STORE_BOARDS);
  bson_t doc = BSON_INITIALIZER, reply;
  bson_t *filter = NULL;
  bool ok;

  *won = false;
  if (!prev_stored) {
    append_board(&doc, next);
    ok = mongoc_collection_insert_one(boards, &doc, NULL, NULL, error);
    *won = ok;
    if (!ok && gb_db_classify(error->domain, error->code) ==
                   GB_DB_FAULT_DUPLICATE_KEY)
      ok = true; /* another instance created it first */
  } else {
    filter = BCON_NEW("_id", BCON_UTF8(BOARD_ID), "l",
                      BCON_UTF8(prev->lineage), "s", BCON_INT64(prev->seq));
    append_board_changes(&doc, prev, next);
    ok = mongoc_collection_update_one(boards, filter, &doc, NULL, &reply,
                                      error);
    if (ok) {
      bson_iter_t it;
      int64_t matched = 0;
      if (bson_iter_init_find(&it, &reply, "matchedCount"))
        matched = bson_iter_as_int64(&it);
      *won = matched == 1;
    }
    bson_destroy(&reply);
  }
  bson_destroy(filter);
  bson_destroy(&doc);
  mongoc_collection_destroy(boards);
  return ok;
}

/* ================ Games ================ */

/* The lists of games below are gb_dynbufs of struct gb_board_game. */
static void game_list_init(struct gb_dynbuf *list, size_t max)
{
  gb_dynbuf_init(list, sizeof(struct gb_board_game), max);
}

static bool game_from_bson(const bson_t *doc, struct gb_board_game *g)
{
  bson_iter_t it;
  unsigned seen = 0;
  int64_t k = 0;

  memset(g, 0, sizeof(*g));
  if (!bson_iter_init(&it, doc))
    return false;
  while (bson_iter_next(&it)) {
    const char *key = bson_iter_key(&it);

    if (strcmp(key, "_id") == 0 && read_text(&it, g->id, sizeof(g->id)))
      seen |= 1;
    else if (strcmp(key, "WinnerEmail") == 0 &&
             read_text(&it, g->winner, sizeof(g->winner)))
      seen |= 2;
    else if (strcmp(key, "Timestamp") == 0 &&
             BSON_ITER_HOLDS_DATE_TIME(&it)) {
      g->timestamp_ms = bson_iter_date_time(&it);
      seen |= 4;
    } else if (strcmp(key, "RockCount") == 0 && BSON_ITER_HOLDS_INT32(&it)) {
      g->rock = bson_iter_int32(&it);
      seen |= 8;
    } else if (strcmp(key, "PaperCount") == 0 && BSON_ITER_HOLDS_INT32(&it)) {
      g->paper = bson_iter_int32(&it);
      seen |= 16;
    } else if (strcmp(key, "ScissorsCount") == 0 &&
               BSON_ITER_HOLDS_INT32(&it)) {
      g->scissors = bson_iter_int32(&it);
      seen |= 32;
    } else if (strcmp(key, "k") == 0 && read_int(&it, &k)) {
      seen |= 64;
    }
  }
  g->marked = k != 0;
  return seen == 127;
}

/* Reads games matching filter into list until it holds limit games
 * (within its maximum); *more true when there were more. */
static bool read_games(mongoc_collection_t *games, const bson_t *filter,
                       struct gb_dynbuf *list, size_t limit, bool *more,
                       bson_error_t *error)
{
  bson_t *opts =
      BCON_NEW("limit", BCON_INT64((int64_t)limit + 1), "projection", "{",
               "WinnerEmail", BCON_INT32(1), "Timestamp", BCON_INT32(1),
               "RockCount", BCON_INT32(1), "PaperCount", BCON_INT32(1),
               "ScissorsCount", BCON_INT32(1), "k", BCON_INT32(1), "}");
  mongoc_cursor_t *cursor =
      mongoc_collection_find_with_opts(games, filter, opts, NULL);
  const bson_t *doc;
  bool ok = true;

  *more = false;
  while (ok && mongoc_cursor_next(cursor, &doc)) {
    struct gb_board_game g;
    struct gb_error err;

    if (list->count == limit) {
      *more = true;
      break;
    }
    if (!game_from_bson(doc, &g))
      ok = gb_store_bad_reply(error, "stored game");
    else if (!gb_dynbuf_push(list, &g, &err))
      ok = list_failed(error, "reading games", &err);
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  return ok;
}

static bool list_push(struct gb_dynbuf *list, const struct gb_board_game *g,
                      bson_error_t *error)
{
  struct gb_error err;

  if (!gb_dynbuf_push(list, g, &err))
    return list_failed(error, "listing games", &err);
  return true;
}

static void append_ids(bson_t *doc, const char *op,
                       const struct gb_board *board)
{
  bson_t in;
  char key[16];
  const char *k;

  bson_append_array_begin(doc, op, -1, &in);
  for (size_t i = 0; i < board->take_count; i++) {
    bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
    bson_append_utf8(&in, k, -1, board->take[i], -1);
  }
  bson_append_array_end(doc, &in);
}

/* Into list, emptied first. */
static bool read_pending(mongoc_collection_t *games, struct gb_dynbuf *list,
                         bool *complete, bson_error_t *error)
{
  bson_t *filter = BCON_NEW("k", BCON_INT64(0));
  bool more, ok;

  gb_dynbuf_reset(list);
  ok = read_games(games, filter, list, PENDING_READ_MAX, &more, error);
  *complete = !more;
  bson_destroy(filter);
  return ok;
}

/* Adds to pending the games of prev's take list still unmarked that the
 * pending read did not return. */
static bool read_unmarked_takes(mongoc_collection_t *games,
                                const struct gb_board *prev,
                                struct gb_dynbuf *pending,
                                bson_error_t *error)
{
  bson_t filter = BSON_INITIALIZER, id;
  struct gb_dynbuf found;
  bool more, ok;

  /* No more than the Ids asked for. */
  game_list_init(&found, prev->take_count);
  bson_append_document_begin(&filter, "_id", -1, &id);
  append_ids(&id, "$in", prev);
  bson_append_document_end(&filter, &id);
  BSON_APPEND_INT64(&filter, "k", 0);
  ok = read_games(games, &filter, &found, found.max, &more, error);
  for (size_t i = 0; ok && i < found.count; i++) {
    const struct gb_board_game *g = gb_dynbuf_at(&found, i);
    bool listed = false;

    for (size_t j = 0; j < pending->count && !listed; j++) {
      const struct gb_board_game *p = gb_dynbuf_at(pending, j);
      listed = strcmp(p->id, g->id) == 0;
    }
    if (listed)
      continue;
    ok = list_push(pending, g, error);
  }
  gb_dynbuf_free(&found);
  bson_destroy(&filter);
  return ok;
}

/* Appends to the $or array or, from its element first on, one
 * {"Timestamp":{"$gte":from,"$lte":to}} per range. */
static void append_range_clauses(bson_t * or, uint32_t first,
                                 const struct gb_time_range *ranges,
                                 size_t count)
{
  bson_t item, range;
  char key[16];
  const char *k;

  for (size_t i = 0; i < count; i++) {
    bson_uint32_to_string(first + (uint32_t)i, &k, key, sizeof(key));
    bson_append_document_begin(or, k, -1, &item);
    bson_append_document_begin(&item, "Timestamp", -1, &range);
    BSON_APPEND_DATE_TIME(&range, "$gte", ranges[i].from_ms);
    BSON_APPEND_DATE_TIME(&range, "$lte", ranges[i].to_ms);
    bson_append_document_end(&item, &range);
    bson_append_document_end(or, &item);
  }
}

static bool read_edges(mongoc_collection_t *games,
                       const struct gb_time_range *ranges, size_t count,
                       struct gb_dynbuf *list, bool *too_many,
                       bson_error_t *error)
{
  bson_t filter = BSON_INITIALIZER, or ;
  bool ok;

  gb_dynbuf_reset(list);
  *too_many = false;
  if (count == 0)
    return true;
  bson_append_array_begin(&filter, "$or", -1, & or);
  append_range_clauses(& or, 0, ranges, count);
  bson_append_array_end(&filter, & or);
  ok = read_games(games, &filter, list, GB_BOARD_EDGE_MAX, too_many, error);
  bson_destroy(&filter);
  return ok;
}

static bool in_ranges(int64_t t, const struct gb_time_range *ranges,
                      size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (t >= ranges[i].from_ms && t <= ranges[i].to_ms)
      return true;
  return false;
}

/* The pending games and the games under the moving edges in one find,
 * the usual case; *complete false when more match than one refresh takes
 * (the caller then reads them apart). With unlisted, the pending games on
 * its take list are left out: the caller knows them unmarked. */
static bool read_pending_and_edges(
    mongoc_collection_t *games, const struct gb_time_range *ranges,
    size_t count, const struct gb_board *unlisted, struct gb_dynbuf *pending,
    struct gb_dynbuf *edges, bool *complete, bson_error_t *error)
{
  bson_t filter = BSON_INITIALIZER, or, item, sub;
  struct gb_dynbuf all;
  bool more = false, ok;

  game_list_init(&all, PENDING_READ_MAX);
  bson_append_array_begin(&filter, "$or", -1, & or);
  bson_append_document_begin(& or, "0", -1, &item);
  BSON_APPEND_INT64(&item, "k", 0);
  if (unlisted && unlisted->take_count > 0) {
    bson_append_document_begin(&item, "_id", -1, &sub);
    append_ids(&sub, "$nin", unlisted);
    bson_append_document_end(&item, &sub);
  }
  bson_append_document_end(& or, &item);
  append_range_clauses(& or, 1, ranges, count);
  bson_append_array_end(&filter, & or);
  ok = read_games(games, &filter, &all, all.max, &more, error);
  *complete = ok && !more;
  for (size_t i = 0; ok && *complete && i < all.count; i++) {
    const struct gb_board_game *g = gb_dynbuf_at(&all, i);

    if (!g->marked && !(unlisted && gb_board_takes(unlisted, g->id)))
      ok = list_push(pending, g, error);
    if (ok && in_ranges(g->timestamp_ms, ranges, count))
      ok = list_push(edges, g, error);
  }
  gb_dynbuf_free(&all);
  bson_destroy(&filter);
  return ok;
}

/* Marks the games next took in (I3): one statement for them all. */
static bool mark_games(mongoc_collection_t *games,
                       const struct gb_board *next, bson_error_t *error)
{
  bson_t filter = BSON_INITIALIZER, id;
  bson_t *update;
  bool ok;

  if (next->take_count == 0)
    return true;
  bson_append_document_begin(&filter, "_id", -1, &id);
  append_ids(&id, "$in", next);
  bson_append_document_end(&filter, &id);
  BSON_APPEND_INT64(&filter, "k", 0);
  update = BCON_NEW("$set", "{", "k", BCON_INT64(next->seq), "}");
  ok = mongoc_collection_update_many(games, &filter, update, NULL, NULL,
                                     error);
  bson_destroy(update);
  bson_destroy(&filter);
  return ok;
}

/* ================ Tallies ================ */

static void tally_id(char *out, size_t size, const char *lineage,
                     const char *winner)
{
  snprintf(out, size, "%s:%s", lineage, winner);
}

#define TALLY_ID_MAX (33 + GB_EMAIL_MAX + 2)

static bool tally_from_bson(const bson_t *doc, char *winner, size_t size,
                            int64_t wins[GB_PERIOD_COUNT], int64_t *version)
{
  bson_iter_t it;
  bool named = false;

  memset(wins, 0, GB_PERIOD_COUNT * sizeof(*wins));
  *version = 0;
  if (!bson_iter_init(&it, doc))
    return false;
  while (bson_iter_next(&it)) {
    const char *key = bson_iter_key(&it);

    if (strcmp(key, "w") == 0)
      named = read_text(&it, winner, size);
    else if (strcmp(key, "v") == 0 && !read_int(&it, version))
      return false;
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      if (strcmp(key, tally_field[p]) == 0 &&
          !gb_store_read_count(&it, &wins[p]))
        return false;
  }
  return named;
}

/* Reads the stored tallies of the winners whose old values the step
 * lacks, and of prev's plan unless plan_known: known written, or known
 * unwritten (I5). */
static bool read_tallies(mongoc_collection_t *tallies,
                         struct gb_board_step *step, bool plan_known,
                         bson_error_t *error)
{
  const struct gb_board *prev = step->prev;
  bson_t filter = BSON_INITIALIZER, id, in;
  char key[16], tid[TALLY_ID_MAX];
  const char *k;
  uint32_t n = 0;
  mongoc_cursor_t *cursor;
  const bson_t *doc;
  bool ok = true;

  bson_append_document_begin(&filter, "_id", -1, &id);
  bson_append_array_begin(&id, "$in", -1, &in);
  for (size_t i = 0; i < step->change_list.count; i++)
    if (gb_board_step_missing(step, i)) {
      bson_uint32_to_string(n++, &k, key, sizeof(key));
      tally_id(tid, sizeof(tid), prev->lineage,
               gb_board_change_at(step, i)->winner);
      bson_append_utf8(&in, k, -1, tid, -1);
    }
  for (size_t i = 0; !plan_known && i < prev->plan_count; i++) {
    bson_uint32_to_string(n++, &k, key, sizeof(key));
    tally_id(tid, sizeof(tid), prev->lineage, prev->plan[i].winner);
    bson_append_utf8(&in, k, -1, tid, -1);
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(&filter, &id);
  if (n > 0) {
    /* Not _id and l: the lineage is known, and the winner is in w. */
    bson_t *opts =
        BCON_NEW("projection", "{", "_id", BCON_INT32(0), "w", BCON_INT32(1),
                 "v", BCON_INT32(1), "n0", BCON_INT32(1), "n1", BCON_INT32(1),
                 "n2", BCON_INT32(1), "}");

    cursor = mongoc_collection_find_with_opts(tallies, &filter, opts, NULL);
    bson_destroy(opts);
    while (ok && mongoc_cursor_next(cursor, &doc)) {
      char winner[GB_EMAIL_MAX + 1];
      int64_t wins[GB_PERIOD_COUNT], version;

      if (!tally_from_bson(doc, winner, sizeof(winner), wins, &version))
        ok = gb_store_bad_reply(error, "tally");
      else
        gb_board_step_old(step, winner, wins, version >= prev->seq);
    }
    if (ok && mongoc_cursor_error(cursor, error))
      ok = false;
    mongoc_cursor_destroy(cursor);
  }
  bson_destroy(&filter);
  /* Winners with no tally document yet start from 0. */
  for (size_t i = 0; ok && i < step->change_list.count; i++)
    if (gb_board_step_missing(step, i)) {
      static const int64_t zero[GB_PERIOD_COUNT];
      gb_board_step_old(step, gb_board_change_at(step, i)->winner, zero,
                        false);
    }
  return ok;
}

/* The top stored tallies of period, for a refill (I6). */
static bool read_ranking(mongoc_collection_t *tallies,
                         struct gb_board_step *step, enum gb_period period,
                         bson_error_t *error)
{
  const char *field = tally_field[period];
  size_t want = GB_LEADERBOARD_TOP + step->next.plan_count;
  bson_t *filter = BCON_NEW("l", BCON_UTF8(step->next.lineage), field, "{",
                            "$gt", BCON_INT64(0), "}");
  bson_t *opts =
      BCON_NEW("sort", "{", "l", BCON_INT32(1), field, BCON_INT32(-1), "w",
               BCON_INT32(1), "}", "limit", BCON_INT64((int64_t)want),
               "projection", "{", "_id", BCON_INT32(0), "w", BCON_INT32(1),
               field, BCON_INT32(1), "}");
  struct gb_ranked *stored = malloc(want * sizeof(*stored));
  mongoc_cursor_t *cursor;
  const bson_t *doc;
  size_t count = 0;
  bool ok = true;

  if (!stored) {
    bson_destroy(opts);
    bson_destroy(filter);
    return gb_store_out_of_memory(error);
  }
  cursor = mongoc_collection_find_with_opts(tallies, filter, opts, NULL);
  while (ok && count < want && mongoc_cursor_next(cursor, &doc)) {
    int64_t wins[GB_PERIOD_COUNT], version;

    if (!tally_from_bson(doc, stored[count].winner,
                         sizeof(stored[count].winner), wins, &version))
      ok = gb_store_bad_reply(error, "tally");
    else
      stored[count++].wins = wins[period];
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  if (ok && !gb_board_step_refill(step, period, stored, count, count < want))
    ok = gb_store_out_of_memory(error);
  mongoc_cursor_destroy(cursor);
  free(stored);
  bson_destroy(opts);
  bson_destroy(filter);
  return ok;
}

/* Every write error of a bulk is 11000: the tally holds a version at least
 * as new (I5), which is success. */
static bool only_superseded(const bson_t *reply)
{
  bson_iter_t it, errors, item;
  bool any = false;

  if (!bson_iter_init_find(&it, reply, "writeErrors") ||
      !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &errors))
    return false;
  while (bson_iter_next(&errors)) {
    any = true;
    if (!bson_iter_recurse(&errors, &item) ||
        !bson_iter_find(&item, "code") || bson_iter_as_int64(&item) != 11000)
      return false;
  }
  return any && (!bson_iter_init_find(&it, reply, "writeConcernErrors") ||
                 bson_iter_as_int64(&it) == 0);
}

/* Writes next's plan, each tally guarded by its version (I5). */
static bool write_tallies(mongoc_collection_t *tallies,
                          const struct gb_board *next, bson_error_t *error)
{
  char tid[TALLY_ID_MAX];
  bool ok = true;

  for (size_t from = 0; ok && from < next->plan_count;
       from += STATEMENTS_PER_COMMAND) {
    bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
    mongoc_bulk_operation_t *bulk =
        mongoc_collection_create_bulk_operation_with_opts(tallies, opts);
    bson_t reply;

    for (size_t i = from;
         i < next->plan_count && i < from + STATEMENTS_PER_COMMAND; i++) {
      const struct gb_tally *t = &next->plan[i];
      bson_t *filter, update = BSON_INITIALIZER, set;
      bson_t *upsert = BCON_NEW("upsert", BCON_BOOL(true));

      tally_id(tid, sizeof(tid), next->lineage, t->winner);
      filter = BCON_NEW("_id", BCON_UTF8(tid), "v", "{", "$lt",
                        BCON_INT64(next->seq), "}");
      bson_append_document_begin(&update, "$set", -1, &set);
      BSON_APPEND_UTF8(&set, "l", next->lineage);
      BSON_APPEND_UTF8(&set, "w", t->winner);
      for (int p = 0; p < GB_PERIOD_COUNT; p++)
        if (t->mask & (1u << p))
          BSON_APPEND_INT64(&set, tally_field[p], t->wins[p]);
      BSON_APPEND_INT64(&set, "v", next->seq);
      bson_append_document_end(&update, &set);
      ok = mongoc_bulk_operation_update_one_with_opts(bulk, filter, &update,
                                                      upsert, error);
      bson_destroy(upsert);
      bson_destroy(&update);
      bson_destroy(filter);
      if (!ok)
        break;
    }
    if (ok) {
      if (!mongoc_bulk_operation_execute(bulk, &reply, error)) {
        ok = only_superseded(&reply);
        if (ok)
          memset(error, 0, sizeof(*error));
      }
      bson_destroy(&reply);
    }
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(opts);
  }
  return ok;
}

/* ================ Rebuilding a lost board ================ */

static void new_lineage(char out[33])
{
  static const char hex[] = "0123456789abcdef";
  uint8_t bytes[16];
  FILE *f = fopen("/dev/urandom", "rb");
  struct timespec ts;
  size_t got = f ? fread(bytes, 1, sizeof(bytes), f) : 0;

  if (f)
    fclose(f);
  clock_gettime(CLOCK_REALTIME, &ts);
  for (size_t i = got; i < sizeof(bytes); i++)
    bytes[i] = (uint8_t)((uint64_t)ts.tv_nsec >> (8 * (i % 4)));
  for (size_t i = 0; i < sizeof(bytes); i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[32] = '\0';
}

/* The marked games' wins per winner in one period's window, written as
 * tallies of lineage (version 0), with the top list and sums. */
/* Sets the rebuilt period-p tallies of n winners, one command. */
static bool write_rebuilt_tallies(mongoc_collection_t *tallies,
                                  const struct gb_board *board, int p,
                                  const struct gb_ranked *winners, size_t n,
                                  bson_error_t *error)
{
  mongoc_bulk_operation_t *bulk =
      mongoc_collection_create_bulk_operation_with_opts(tallies, NULL);
  char tid[TALLY_ID_MAX];
  bson_t reply;
  bool ok = true;

  for (size_t i = 0; ok && i < n; i++) {
    bson_t *filter, *update, *upsert = BCON_NEW("upsert", BCON_BOOL(true));
    tally_id(tid, sizeof(tid), board->lineage, winners[i].winner);
    filter = BCON_NEW("_id", BCON_UTF8(tid));
    update = BCON_NEW("$set", "{", "l", BCON_UTF8(board->lineage), "w",
                      BCON_UTF8(winners[i].winner), tally_field[p],
                      BCON_INT64(winners[i].wins), "v", BCON_INT64(0), "}");
    ok = mongoc_bulk_operation_update_one_with_opts(bulk, filter, update,
                                                    upsert, error);
    bson_destroy(upsert);
    bson_destroy(update);
    bson_destroy(filter);
  }
  if (ok) {
    ok = mongoc_bulk_operation_execute(bulk, &reply, error);
    bson_destroy(&reply);
  }
  mongoc_bulk_operation_destroy(bulk);
  return ok;
}

/* The period's games and moves, summed by the database from match. */
static bool read_period_totals(mongoc_collection_t *games,
                               const bson_t *match,
                               struct gb_board_period *bp,
                               bson_error_t *error)
{
  return gb_store_sum(games, match, NULL, &bp->games, error) &&
         gb_store_sum(games, match, "$RockCount", &bp->rock, error) &&
         gb_store_sum(games, match, "$PaperCount", &bp->paper, error) &&
         gb_store_sum(games, match, "$ScissorsCount", &bp->scissors, error);
}

static bool rebuild_period(mongoc_collection_t *games,
                           mongoc_collection_t *tallies,
                           struct gb_board *board, int p, bson_error_t *error)
{
  struct gb_board_period *bp = &board->periods[p];
  bson_t *match =
      BCON_NEW("$match", "{", "k", "{", "$ne", BCON_INT64(0), "}",
               "Timestamp", "{", "$gte", BCON_DATE_TIME(bp->start_ms), "$lte",
               BCON_DATE_TIME(board->end_ms), "}", "}");
  bson_t *pipeline;
  mongoc_cursor_t *cursor;
  const bson_t *doc;
  struct gb_ranked *batch = malloc(STATEMENTS_PER_COMMAND * sizeof(*batch));
  struct gb_leaderboard lb;
  size_t batched = 0, count = 0;
  bool ok = (batch != NULL || gb_store_out_of_memory(error)) &&
            read_period_totals(games, match, bp, error);

  pipeline = BCON_NEW("pipeline", "[", BCON_DOCUMENT(match), "{", "$group",
                      "{", "_id", BCON_UTF8("$WinnerEmail"), "t", "{", "$sum",
                      BCON_INT32(1), "}", "}", "}", "]");
  cursor = ok ? mongoc_collection_aggregate(games, MONGOC_QUERY_NONE,
                                            pipeline, NULL, NULL)
              : NULL;
  /* The winners are written as they come, one command per batch, so the
   * rebuild's memory does not grow with the number of players. */
  gb_leaderboard_init(&lb, (enum gb_period)p, board->end_ms);
  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    struct gb_ranked *r = &batch[batched];

    if (!bson_iter_init_find(&it, doc, "_id") ||
        !read_text(&it, r->winner, sizeof(r->winner)) ||
        !bson_iter_init_find(&it, doc, "t") ||
        !gb_store_read_count(&it, &r->wins)) {
      ok = gb_store_bad_reply(error, "winner total");
      break;
    }
    gb_leaderboard_offer(&lb, r->winner, r->wins);
    count++;
    if (++batched == STATEMENTS_PER_COMMAND) {
      ok = write_rebuilt_tallies(tallies, board, p, batch, batched, error);
      batched = 0;
    }
  }
  if (cursor) {
    if (ok && mongoc_cursor_error(cursor, error))
      ok = false;
    mongoc_cursor_destroy(cursor);
  }
  bson_destroy(pipeline);
  if (ok && batched > 0)
    ok = write_rebuilt_tallies(tallies, board, p, batch, batched, error);
  if (ok) {
    bp->top_count = 0;
    for (size_t i = 0; i < lb.winner_count && i < GB_BOARD_TOP; i++) {
      snprintf(bp->top[i].winner, sizeof(bp->top[i].winner), "%s",
               lb.winners[i].email);
      bp->top[i].wins = lb.winners[i].wins;
      bp->top_count++;
    }
    bp->more = count > bp->top_count;
  }
  free(batch);
  bson_destroy(match);
  return ok;
}

/* No board stored: one is built from the marked games under a new
 * lineage (I7), its tallies written before the board that names them. */
static bool rebuild(mongoc_database_t *db, int64_t now_ms,
                    struct gb_board *board, bson_error_t *error)
{
  mongoc_collection_t *games =
      mongoc_database_get_collection(db, GB_STORE_GAMES);
  mongoc_collection_t *tallies =
      mongoc_database_get_collection(db, GB_STORE_TALLIES);
  bson_t *any = BCON_NEW("k", "{", "$ne", BCON_INT64(0), "}");
  bson_t *opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "_id",
                          BCON_INT32(1), "}");
  mongoc_cursor_t *cursor;
  const bson_t *doc;
  bool ok = true, marked;

  gb_board_init(board, now_ms);
  new_lineage(board->lineage);
  cursor = mongoc_collection_find_with_opts(games, any, opts, NULL);
  marked = mongoc_cursor_next(cursor, &doc);
  if (mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
  if (ok && marked) {
    gb_log_info("no leaderboard board stored: rebuilding it from the "
                "games as lineage %s",
                board->lineage);
    for (int p = 0; ok && p < GB_PERIOD_COUNT; p++)
      ok = rebuild_period(games, tallies, board, p, error);
  }
  bson_destroy(opts);
  bson_destroy(any);
  mongoc_collection_destroy(tallies);
  mongoc_collection_destroy(games);
  return ok;
}

/* ================ The process's copy ================ */

static int64_t monotonic_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps board (its leaderboards only) as the process's copy, unless the
 * copy is already a later board. */
static void remember(struct gb_store *store, const struct gb_board *board)
{
  if (store->cache_ms <= 0)
    return;
  pthread_mutex_lock(&store->cache_lock);
  if (!store->cache)
    store->cache = calloc(1, sizeof(*store->cache));
  if (store->cache &&
      (!store->cached || strcmp(store->cache->lineage, board->lineage) != 0 ||
       store->cache->seq <= board->seq)) {
    *store->cache = *board;
    store->cache->take = NULL;
    store->cache->plan = NULL;
    store->cache->take_count = store->cache->plan_count = 0;
    store->cached = true;
    store->cached_at_ms = monotonic_ms();
  }
  pthread_mutex_unlock(&store->cache_lock);
}

static bool recall(struct gb_store *store, struct gb_board *board)
{
  bool fresh = false;

  pthread_mutex_lock(&store->cache_lock);
  if (store->cached && store->cache &&
      monotonic_ms() - store->cached_at_ms < store->cache_ms) {
    *board = *store->cache;
    fresh = true;
  }
  pthread_mutex_unlock(&store->cache_lock);
  return fresh;
}

void gb_store_set_cache_ms(struct gb_store *store, long ms)
{
  store->cache_ms = ms < 0 ? 0 : ms;
}

/* ================ One refresh ================ */

struct refresh_ctx {
  struct gb_store *store;
  int64_t now_ms;
  bool won;               /* the board was written */
  bool all_pending_taken; /* every game pending when read was taken in */
  bool skipped;           /* nothing pending: no board written */
  bool skip_if_nothing_pending;
  bool pace;            /* leave another instance's young board be */
  size_t awaited_taken; /* the first awaited games, taken in already */
  bool declined;        /* it did: try again at again_ms */
  bool probe;           /* look at the board's version and Ids first */
  int64_t again_ms;
  struct gb_board board;     /* the board now stored */
  struct gb_board prev;      /* refresh_op's scratch: the board it read */
  struct gb_board_step step; /* and the step from it */
};

static bool same_board(const struct gb_board *a, const char *lineage,
                       int64_t seq)
{
  return a->seq == seq && strcmp(a->lineage, lineage) == 0;
}

/* *same true when the stored board is still prev (a read of its version
 * alone). */
static bool board_unchanged(mongoc_database_t *db,
                            const struct gb_board *prev, bool *same,
                            bson_error_t *error)
{
  return find_board(db,
                    BCON_NEW("_id", BCON_UTF8(BOARD_ID), "l",
                             BCON_UTF8(prev->lineage), "s",
                             BCON_INT64(prev->seq)),
                    BCON_NEW("limit", BCON_INT64(1), "projection", "{", "_id",
                             BCON_INT32(1), "}"),
                    NULL, NULL, same, error);
}

/* Spreads the instances that wait for the same board over a quarter of
 * an interval, so that one of them refreshes and the others find their
 * games taken in rather than meeting at the compare-and-set. */
static long pacing_jitter_ms(long interval_ms)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)(((uint64_t)ts.tv_nsec * 2654435761u) %
                (uint64_t)(interval_ms / 4 + 1));
}

/* Which of the awaited games listed in ids are still pending (k: 0):
 * *pending gets the first awaited index among them, or awaited_count. */
static bool first_still_pending(mongoc_database_t *db,
                                const struct gb_store *store,
                                const struct gb_board *probe, size_t *first,
                                bson_error_t *error)
{
  mongoc_collection_t *games =
      mongoc_database_get_collection(db, GB_STORE_GAMES);
  bson_t filter = BSON_INITIALIZER, id, in;
  bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}");
  mongoc_cursor_t *cursor;
  const bson_t *doc;
  char key[16];
  const char *k;
  uint32_t asked = 0;
  bool ok = true;

  *first = store->awaited_count;
  bson_append_document_begin(&filter, "_id", -1, &id);
  bson_append_array_begin(&id, "$in", -1, &in);
  for (size_t a = 0; a < store->awaited_count; a++)
    if (!gb_board_takes(probe, store->awaited[a].id)) {
      bson_uint32_to_string(asked++, &k, key, sizeof(key));
      bson_append_utf8(&in, k, -1, store->awaited[a].id, -1);
    }
  bson_append_array_end(&id, &in);
  bson_append_document_end(&filter, &id);
  BSON_APPEND_INT64(&filter, "k", 0);
  if (asked == 0)
    goto done; /* all listed on the board: taken in */
  cursor = mongoc_collection_find_with_opts(games, &filter, opts, NULL);
  while (ok && mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    char game[GB_GAME_ID_MAX + 1];

    if (!bson_iter_init_find(&it, doc, "_id") ||
        !read_text(&it, game, sizeof(game))) {
      ok = gb_store_bad_reply(error, "game document");
      break;
    }
    for (size_t a = 0; a < *first; a++)
      if (strcmp(store->awaited[a].id, game) == 0) {
        *first = a;
        break;
      }
  }
  if (ok && mongoc_cursor_error(cursor, error))
    ok = false;
  mongoc_cursor_destroy(cursor);
done:
  bson_destroy(opts);
  bson_destroy(&filter);
  mongoc_collection_destroy(games);
  return ok;
}

/* A paced turn's first look (Pacing), when this process has lately found
 * boards that another instance wrote: *settled true when the callers are
 * answered or the young board is left be from that look alone;
 * *own true when the stored board is this process's last one. Otherwise
 * the refresh reads the whole board as usual. */
static bool probe_turn(mongoc_database_t *db, struct refresh_ctx *ctx,
                       bool *settled, bool *own, bson_error_t *error)
{
  struct gb_store *store = ctx->store;
  /* refresh_op reads its own board into ctx->prev after this look. */
  struct gb_board *probe = &ctx->prev;
  bool found = false, ok;

  *settled = *own = false;
  memset(probe, 0, sizeof(*probe));
  ok = read_board(db, BOARD_VERSION_TAKE, probe, &found, error);
  if (!ok || !found)
    goto done;
  if (store->written &&
      same_board(probe, store->written->lineage, store->written->seq)) {
    *own = true;
    goto done;
  }
  if (store->written)
    store->others_seen_until_ms = ctx->now_ms + OTHERS_SEEN_MS;
  if (!ctx->pace ||
      ctx->now_ms - probe->end_ms >= store->refresh_interval_ms ||
      store->awaited_overflow || store->awaited_count == 0)
    goto done;
  for (size_t a = 0; a < store->awaited_count; a++)
    if (!*store->awaited[a].id)
      goto done; /* a caller of every pending game: the full read decides */
  ok = first_still_pending(db, store, probe, &ctx->awaited_taken, error);
  if (!ok)
    goto done;
  *settled = true;
  if (ctx->awaited_taken == store->awaited_count) {
    ctx->skipped = true;
  } else {
    ctx->declined = true;
    ctx->again_ms = probe->end_ms + store->refresh_interval_ms +
                    pacing_jitter_ms(store->refresh_interval_ms);
  }
done:
  gb_board_cleanup(probe);
  return ok;
}

/* The board a refresh starts from: this process's own last one while no
 * other writer was seen (the compare-and-set catches it being stale),
 * else the stored one. */
static bool starting_board(mongoc_database_t *db, struct gb_store *store,
                           struct gb_board *prev, bool *found,
                           bool *from_memory, bson_error_t *error)
{
  *from_memory = store->written_trusted && store->written;
  if (*from_memory) {
    *found = true;
    if (gb_board_copy(prev, store->written))
      return true;
    return gb_store_out_of_memory(error);
  }
  if (!read_board(db, BOARD_WHOLE, prev, found, error))
    return false;
  /* The stored board is the one this process wrote: nobody else is
   * writing, so the next refresh may start from memory again. */
  store->written_trusted =
      *found && store->written &&
      same_board(prev, store->written->lineage, store->written->seq);
  return true;
}

/* Writes out a journal (I3, I5): marks the games the board took in and
 * sets the tally values of its plan. */
static bool write_journal(mongoc_collection_t *games,
                          mongoc_collection_t *tallies,
                          const struct gb_board *board,
                          struct gb_store *store, bson_error_t *error)
{
  if (!mark_games(games, board, error) ||
      !write_tallies(tallies, board, error))
    return false;
  memcpy(store->applied_lineage, board->lineage,
         sizeof(store->applied_lineage));
  store->applied_seq = board->seq;
  store->deferred_journals = 0;
  return true;
}

/* A board's journal is written out with it only every JOURNAL_EVERY
 * boards of this process, or once it holds JOURNAL_TAKES games or
 * JOURNAL_TALLIES tally values: until then the board alone records it
 * (I2), and the next refresh carries it. */
static bool journal_due(const struct gb_store *store,
                        const struct gb_board *next)
{
  return store->deferred_journals + 1 >= JOURNAL_EVERY ||
         next->take_count >= JOURNAL_TAKES ||
         next->plan_count >= JOURNAL_TALLIES;
}

/* trusted: no other writer was seen in the refresh that wrote board. */
static void remember_written(struct gb_store *store,
                             const struct gb_board *board, bool trusted)
{
  if (!store->written)
    store->written = calloc(1, sizeof(*store->written));
  if (!store->written || !gb_board_copy(store->written, board)) {
    store->written_trusted = false;
    if (store->written)
      store->written->seq = 0;
    return;
  }
  store->written_trusted = trusted;
}

/* How many of the awaited games, oldest first, are not among the pending
 * games still to be taken in (I3): a caller waiting for every pending
 * game ("") only when none is. */
static size_t awaited_taken(const struct gb_store *store,
                            const struct gb_board *prev,
                            const struct gb_dynbuf *pending, size_t fresh)
{
  for (size_t a = 0; a < store->awaited_count; a++) {
    const char *id = store->awaited[a].id;

    if (!*id && fresh > 0)
      return a;
    for (size_t i = 0; *id && i < pending->count; i++) {
      const struct gb_board_game *g = gb_dynbuf_at(pending, i);

      if (!g->marked && strcmp(g->id, id) == 0 && !gb_board_takes(prev, id))
        return a;
    }
  }
  return store->awaited_count;
}

/* Over clang-tidy's complexity threshold, stated in docs/testing.md: the
 * refresh reads as the protocol's steps in the order
 * docs/internals/leaderboards.md gives them. */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static bool refresh_op(mongoc_database_t *db, void *vctx, bson_error_t *error)
{
  struct refresh_ctx *ctx = vctx;
  struct gb_store *store = ctx->store;
  mongoc_collection_t *games =
      mongoc_database_get_collection(db, GB_STORE_GAMES);
  mongoc_collection_t *tallies =
      mongoc_database_get_collection(db, GB_STORE_TALLIES);
  /* In the context, not on the stack: with its callees inlined the
   * refresh would outgrow a civetweb worker's stack. */
  struct gb_board *prev = &ctx->prev;
  struct gb_board_step *step = &ctx->step;
  struct gb_dynbuf pending, edges;
  struct gb_time_range ranges[GB_BOARD_RANGES];
  bool ok, found = false, complete = false, too_much = false, began = false;
  bool takes_known = false, have_edges = false;
  bool all_confirmed, journal_unwritten, own_start, from_memory = false;
  bool young, own_prev, trusted;
  size_t fresh;
  int64_t now;

  memset(prev, 0, sizeof(*prev));
  memset(step, 0, sizeof(*step));
  game_list_init(&pending, PENDING_MAX);
  /* read_edges's bound; the combined read adds PENDING_READ_MAX at most. */
  game_list_init(&edges, GB_BOARD_EDGE_MAX);
  ctx->won = false;
  ctx->skipped = false;
  ctx->declined = false;
  trusted = store->written_trusted && store->written;
  if ((ctx->probe && !trusted) ||
      (trusted && ctx->now_ms < store->others_seen_until_ms)) {
    bool settled, own;

    ok = probe_turn(db, ctx, &settled, &own, error);
    if (!ok || settled)
      goto done;
    /* The stored board is this process's last one: start from memory. */
    store->written_trusted = own;
    memset(prev, 0, sizeof(*prev)); /* the look's scratch */
  }
  ok = starting_board(db, store, prev, &found, &from_memory, error);
  own_start = ok && store->written_trusted;
  if (ok && !found)
    ok = rebuild(db, ctx->now_ms, prev, error);
  if (!ok)
    goto done;
  now = ctx->now_ms > prev->end_ms ? ctx->now_ms : prev->end_ms;
  all_confirmed =
      found && same_board(prev, store->applied_lineage, store->applied_seq);
  own_prev = found && store->written &&
             same_board(prev, store->written->lineage, store->written->seq);
  if (found && !own_prev && store->written)
    store->others_seen_until_ms = ctx->now_ms + OTHERS_SEEN_MS;
  /* This process wrote prev and put off its journal: nothing of it is
   * written, and nothing needs reading to know that. */
  journal_unwritten = own_prev && !all_confirmed;
  ok = read_pending_and_edges(
      games, ranges, gb_board_edges(prev, now, ranges),
      journal_unwritten ? prev : NULL, &pending, &edges, &complete, error);
  have_edges = ok && complete;
  /* Left out of the read, prev's games all stay listed. */
  takes_known = complete && !journal_unwritten;
  if (ok && !complete) {
    gb_dynbuf_reset(&edges);
    ok = read_pending(games, &pending, &complete, error);
    takes_known = complete;
  }
  /* A backlog beyond the read: which of prev's Ids are still unmarked is
   * read apart, or prev's list could never shrink (I3). */
  if (ok && !complete && prev->take_count > 0) {
    ok = read_unmarked_takes(games, prev, &pending, error);
    takes_known = ok;
  }
  if (!ok)
    goto done;
  /* Every game stored before the pending read is taken in already (by
   * another instance, or this caller's game was counted long ago): a
   * caller waiting for its game has nothing to wait for, and a board less
   * than an interval old is left as it is. So is a board less than an
   * interval old that took in every game this process's callers wait
   * for: the other pending games have callers of their own (Pacing). An
   * older board is refreshed, so that a game whose caller stopped is not
   * left to its redelivery. Its journal, if this process put it off, is
   * written out now that there is time. */
  fresh = gb_board_new_pending(prev, pending.items, pending.count);
  if (ctx->pace && complete && found)
    ctx->awaited_taken = awaited_taken(store, prev, &pending, fresh);
  young = now - prev->end_ms < store->refresh_interval_ms;
  if (found && ((fresh == 0 && (ctx->skip_if_nothing_pending || young)) ||
                (ctx->pace && young && !store->awaited_overflow &&
                 ctx->awaited_taken == store->awaited_count))) {
    /* A board from memory is checked first: it may have been replaced,
     * or deleted (then rebuilt by the attempt after this one). */
    if (from_memory) {
      ok = board_unchanged(db, prev, &ctx->skipped, error);
      if (!ok || !ctx->skipped) {
        store->written_trusted = false;
        goto done;
      }
    }
    if (journal_unwritten &&
        !write_journal(games, tallies, prev, store, error)) {
      ok = false;
      goto done;
    }
    ctx->skipped = true;
    ctx->all_pending_taken = true;
    gb_board_move(&ctx->board, prev);
    goto done;
  }

  /* Pacing across instances (docs/internals/leaderboards.md, "Pacing"):
   * another instance wrote the board less than an interval ago, so its
   * next refresh, or this one's after a pause, takes these games in with
   * whatever else arrives meanwhile. */
  if (found && complete && ctx->pace && young && !own_prev) {
    ctx->declined = true;
    ctx->again_ms = prev->end_ms + store->refresh_interval_ms +
                    pacing_jitter_ms(store->refresh_interval_ms);
    goto done;
  }

  /* Edges too crowded for one step: move the end half as far, again. */
  for (;;) {
    size_t n = gb_board_edges(prev, now, ranges);
    bool too_many = false;

    if (!have_edges)
      ok = read_edges(games, ranges, n, &edges, &too_many, error);
    have_edges = false;
    if (!ok)
      goto done;
    if (!too_many) {
      if (began)
        gb_board_step_cleanup(step);
      began = true;
      if (gb_board_step_begin(step, prev, now, pending.items, pending.count,
                              complete, takes_known, edges.items, edges.count,
                              &too_much))
        break;
      if (!too_much) {
        ok = gb_store_out_of_memory(error);
        goto done;
      }
    }
    if (now - prev->end_ms < 2) {
      bson_set_error(error, GB_STORE_ERROR_DOMAIN, GB_STORE_CONTENDED,
                     "more than %d games share one window edge",
                     GB_BOARD_EDGE_MAX);
      ok = false;
      goto done;
    }
    now = prev->end_ms + (now - prev->end_ms) / 2;
  }

  gb_tally_memo_follow(&store->memo, prev);
  gb_tally_memo_recall(&store->memo, step);
  ok = read_tallies(tallies, step, all_confirmed || journal_unwritten, error);
  if (ok && !gb_board_step_finish(step, all_confirmed,
                                  gb_store_next_started_us(store)))
    ok = gb_store_out_of_memory(error);
  for (int p = 0; ok && p < GB_PERIOD_COUNT; p++)
    if (step->refill & (1u << p))
      ok = read_ranking(tallies, step, (enum gb_period)p, error);
  if (ok)
    ok = write_board(db, prev, found, &step->next, &ctx->won, error);
  if (!ok || !ctx->won) {
    store->written_trusted = false;
    if (ok)
      store->others_seen_until_ms = ctx->now_ms + OTHERS_SEEN_MS;
    goto done;
  }
  gb_tally_memo_follow(&store->memo, &step->next);
  remember_written(store, &step->next, own_start);
  /* The board is the record (I2); the journal may be written by the next
   * refresh instead if this one puts it off or stops before it is done. */
  if (journal_due(store, &step->next))
    ok = write_journal(games, tallies, &step->next, store, error);
  else
    store->deferred_journals++;
  ctx->all_pending_taken = step->all_pending_taken;
  gb_board_move(&ctx->board, &step->next);

done:
  if (began)
    gb_board_step_cleanup(step);
  gb_board_cleanup(prev);
  gb_dynbuf_free(&pending);
  gb_dynbuf_free(&edges);
  mongoc_collection_destroy(tallies);
  mongoc_collection_destroy(games);
  return ok;
}

static long contention_backoff_ms(int attempt)
{
  struct timespec ts;
  long span = 10L << (attempt < 5 ? attempt : 5); /* 10 ms .. 320 ms */

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return 1 + (long)(((uint64_t)ts.tv_nsec * 2654435761u) % (uint64_t)span);
}

/* Runs refreshes until one writes the board (or finds nothing to do, or
 * paces itself behind another instance's board); the caller holds
 * board_lock. */
static bool refresh_locked(struct gb_store *store, int64_t now_ms,
                           bool waiting, struct refresh_ctx *ctx,
                           struct gb_error *err)
{
  for (int attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->store = store;
    ctx->now_ms = now_ms;
    ctx->skip_if_nothing_pending = waiting;
    ctx->pace = waiting;
    ctx->probe = waiting && now_ms < store->probe_until_ms;
    if (!gb_store_run(store, "refreshing the leaderboards", refresh_op, ctx,
                      err)) {
      gb_board_cleanup(&ctx->board);
      return false;
    }
    if (ctx->skipped || ctx->declined)
      return true;
    if (ctx->won) {
      store->last_refresh_ms = now_ms;
      remember(store, &ctx->board);
      return true;
    }
    gb_board_cleanup(&ctx->board);
    /* Another instance wrote the board first: back off a random while,
     * growing, so that the instances stop meeting. */
    gb_time_sleep_ms(contention_backoff_ms(attempt));
  }
  return gb_error_set(err, GB_ERR_UNAVAILABLE, 0, "",
                      "refreshing the leaderboards: the board kept changing "
                      "under %d attempts",
                      REFRESH_ATTEMPTS);
}

bool gb_store_refresh_leaderboards(struct gb_store *store, int64_t now_ms,
                                   struct gb_leaderboard *boards,
                                   struct gb_error *err)
{
  struct refresh_ctx *ctx = calloc(1, sizeof(*ctx));
  bool ok;

  if (!ctx)
    return gb_error_nomem(err);
  pthread_mutex_lock(&store->board_lock);
  /* More pending games than one refresh takes: the next ones go on. */
  for (int round = 0; round < REFRESH_ROUNDS; round++) {
    ok = refresh_locked(store, now_ms, false, ctx, err);
    if (!ok || ctx->all_pending_taken)
      break;
    gb_board_cleanup(&ctx->board);
  }
  pthread_mutex_unlock(&store->board_lock);
  if (ok && boards)
    for (int p = 0; p < GB_PERIOD_COUNT; p++)
      gb_board_leaderboard(&ctx->board, (enum gb_period)p, &boards[p]);
  gb_board_cleanup(&ctx->board);
  free(ctx);
  return ok;
}

/* Answers the first n awaited callers (all of them when everything is
 * taken in), under board_lock. */
static void answer_awaited(struct gb_store *store, size_t n, bool everything)
{
  if (everything) {
    store->covered_ticket = store->tickets;
    store->awaited_count = 0;
    store->awaited_overflow = false;
    return;
  }
  if (n == 0)
    return;
  if (store->awaited[n - 1].ticket > store->covered_ticket)
    store->covered_ticket = store->awaited[n - 1].ticket;
  memmove(store->awaited, store->awaited + n,
          (store->awaited_count - n) * sizeof(*store->awaited));
  store->awaited_count -= n;
}

/* One turn of waiting, at now_ms, under board_lock: answers the callers
 * whose games are taken in (*answered of the listed ones, oldest first;
 * *everything when no caller is left waiting), else *again_ms says when
 * to try next: this process's next refresh slot (at most one refresh per
 * interval), the end of another instance's pacing, or now_ms for a
 * backlog beyond one refresh's bound, taken in without waiting. */
static bool sync_turn(struct gb_store *store, int64_t now_ms,
                      size_t *answered, bool *everything, int64_t *again_ms,
                      struct gb_error *err)
{
  int64_t due = store->last_refresh_ms + store->refresh_interval_ms;
  struct refresh_ctx *ctx;
  bool ok;

  *answered = 0;
  *everything = false;
  if (store->paced_until_ms > due)
    due = store->paced_until_ms;
  if (due > now_ms && !store->sync_backlog) {
    *again_ms = due;
    return true;
  }
  ctx = calloc(1, sizeof(*ctx));
  if (!ctx)
    return gb_error_nomem(err);
  ok = refresh_locked(store, now_ms, true, ctx, err);
  store->sync_backlog = false;
  if (ok) {
    *everything = ctx->all_pending_taken ||
                  (!store->awaited_overflow &&
                   ctx->awaited_taken == store->awaited_count);
    *answered = *everything ? store->awaited_count : ctx->awaited_taken;
    answer_awaited(store, *answered, *everything);
    /* Another instance is refreshing: the next turns look first. */
    if (ctx->declined || ctx->skipped)
      store->probe_until_ms = now_ms + 2 * store->refresh_interval_ms;
    if (ctx->declined) {
      store->paced_until_ms = ctx->again_ms;
      *again_ms = ctx->again_ms;
    } else if (!*everything) {
      store->sync_backlog = true;
      *again_ms = now_ms;
    }
  }
  gb_board_cleanup(&ctx->board);
  free(ctx);
  return ok;
}

/* Under board_lock. */
static void await_locked(struct gb_store *store, const char *game_id)
{
  struct gb_awaited *a;

  if (store->awaited_overflow)
    return;
  if (!store->awaited)
    store->awaited = malloc(GB_STORE_AWAITED_MAX * sizeof(*store->awaited));
  if (!store->awaited || store->awaited_count == GB_STORE_AWAITED_MAX ||
      (game_id && strlen(game_id) > GB_GAME_ID_MAX)) {
    store->awaited_overflow = true;
    return;
  }
  a = &store->awaited[store->awaited_count++];
  a->ticket = store->tickets;
  snprintf(a->id, sizeof(a->id), "%s", game_id ? game_id : "");
}

void gb_store_await(struct gb_store *store, const char *game_id)
{
  pthread_mutex_lock(&store->board_lock);
  ++store->tickets;
  await_locked(store, game_id);
  pthread_mutex_unlock(&store->board_lock);
}

bool gb_store_sync_at(struct gb_store *store, int64_t now_ms,
                      int64_t *again_ms, size_t *answered,
                      struct gb_error *err)
{
  bool everything = false, ok;

  *again_ms = 0;
  pthread_mutex_lock(&store->board_lock);
  ok = sync_turn(store, now_ms, answered, &everything, again_ms, err);
  pthread_mutex_unlock(&store->board_lock);
  if (ok && everything)
    *again_ms = 0;
  return ok;
}

bool gb_store_sync(struct gb_store *store, const char *game_id,
                   struct gb_error *err)
{
  uint64_t ticket;
  bool ok = true;

  pthread_mutex_lock(&store->board_lock);
  ticket = ++store->tickets;
  await_locked(store, game_id);
  while (ok && store->covered_ticket < ticket) {
    int64_t now = gb_time_now_ms(), again = 0;
    size_t answered;
    bool everything;

    /* The games stored while this caller waits are taken in with its own
     * (group commit); each caller is answered once its own game is in. */
    ok = sync_turn(store, now, &answered, &everything, &again, err);
    if (ok && store->covered_ticket < ticket && again > now) {
      /* Bounded, should another instance's clock run ahead. */
      long wait = (long)(again - now);
      long most = 2 * store->refresh_interval_ms;

      pthread_mutex_unlock(&store->board_lock);
      gb_time_sleep_ms(wait < most ? wait : most);
      pthread_mutex_lock(&store->board_lock);
    }
  }
  /* Failed: the caller answers with the error, and waits no more. */
  for (size_t a = 0; !ok && a < store->awaited_count; a++)
    if (store->awaited[a].ticket == ticket) {
      memmove(store->awaited + a, store->awaited + a + 1,
              (store->awaited_count - a - 1) * sizeof(*store->awaited));
      store->awaited_count--;
      break;
    }
  pthread_mutex_unlock(&store->board_lock);
  return ok;
}

/* ================ Reading ================ */

struct read_ctx {
  struct gb_board board;
  bool found;
};

static bool read_op(mongoc_database_t *db, void *vctx, bson_error_t *error)
{
  struct read_ctx *ctx = vctx;

  return read_board(db, BOARD_NO_JOURNAL, &ctx->board, &ctx->found, error);
}

bool gb_store_read_leaderboard(struct gb_store *store, enum gb_period period,
                               int64_t now_ms, struct gb_leaderboard *board,
                               bool *found, bool *from_memory,
                               struct gb_error *err)
{
  struct read_ctx *ctx = calloc(1, sizeof(*ctx));
  bool ok = true;

  if (!ctx)
    return gb_error_nomem(err);
  *from_memory = recall(store, &ctx->board);
  if (*from_memory) {
    ctx->found = true;
  } else {
    ok = gb_store_run(store, "reading the leaderboard", read_op, ctx, err);
    if (ok && ctx->found)
      remember(store, &ctx->board);
  }
  if (ok) {
    /* Older than the TTL: the windows' edges have moved too far. */
    *found = ctx->found &&
             ctx->board.end_ms + (int64_t)store->ttl_seconds * 1000 > now_ms;
    if (*found)
      gb_board_leaderboard(&ctx->board, period, board);
  }
  gb_board_cleanup(&ctx->board);
  free(ctx);
  return ok;
}

void gb_store_set_refresh_interval_ms(struct gb_store *store, long ms)
{
  store->refresh_interval_ms = ms < 0 ? 0 : ms;
}
