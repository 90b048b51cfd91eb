/* gb_game: a finished Rock-Paper-Scissors game, as GameAPI reports it.
 *
 * Pure domain code: no I/O. The wire form is the workshop's PascalCase
 * object {"Id","WinnerEmail","RockCount","PaperCount","ScissorsCount",
 * "Timestamp"}; unknown extra fields are ignored. */
#ifndef GB_GAME_H
#define GB_GAME_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gb_error.h"

#define GB_GAME_ID_MAX 64 /* a session GUID is 36 */
#define GB_EMAIL_MAX 254  /* RFC 5321 path limit */
#define GB_MOVE_COUNT_MAX 100000
#define GB_TIMESTAMP_TEXT_MAX 40
/* Earliest Timestamp accepted: 2000-01-01T00:00:00Z. */
#define GB_GAME_EPOCH_MS INT64_C(946684800000)
/* How far ahead of the handler's clock a Timestamp may be (clock skew). */
#define GB_GAME_FUTURE_SLACK_MS INT64_C(86400000)

struct gb_game {
  char id[GB_GAME_ID_MAX + 1];
  char winner_email[GB_EMAIL_MAX + 1];
  int32_t rock_count;
  int32_t paper_count;
  int32_t scissors_count;
  int64_t timestamp_ms; /* UTC, millisecond precision */
  char timestamp_text[GB_TIMESTAMP_TEXT_MAX + 1]; /* as received */
};

/* Validates a finished-game object and fills *game. now_ms bounds how far in
 * the future Timestamp may lie. On failure fills err with GB_ERR_INVALID
 * and the offending field's name, and *game is unspecified. Rules:
 * - Id: string of 1..64 characters from [A-Za-z0-9_-];
 * - WinnerEmail: string of 1..254 bytes of UTF-8, no control characters
 *   ("Bot" is how GameAPI names its bot, so no '@' is required);
 * - RockCount, PaperCount, ScissorsCount: integers in 0..100000;
 * - Timestamp: ISO-8601 with a UTC offset, from 2000-01-01 to one day
 *   past now. */
bool gb_game_from_json(const cJSON *obj, int64_t now_ms, struct gb_game *game,
                       struct gb_error *err);

/* The game as its PascalCase wire object, Timestamp as received. NULL on
 * allocation failure. */
cJSON *gb_game_to_json(const struct gb_game *game);

/* True when a and b describe the same game (every field equal, Timestamp
 * compared as an instant). */
bool gb_game_same(const struct gb_game *a, const struct gb_game *b);

#endif
