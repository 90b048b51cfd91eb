/* gb_game_event: the GameCompleted event GameAPI publishes for a finished
 * game, built for Event Grid (subject "GameAPI.GameCompleted", eventType
 * "GameCompleted", dataVersion "1.0") or as a CloudEvent 1.0.
 *
 * Pure. The event id is a version 5 UUID of the game Id, so posting the same
 * game again makes the same event, with eventTime the game's Timestamp:
 * the subscriber's dedupe sees a redelivery, not a new game. */
#ifndef GB_GAME_EVENT_H
#define GB_GAME_EVENT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "gb_event.h"
#include "gb_game.h"

#define GB_GAME_EVENT_SUBJECT "GameAPI.GameCompleted"
#define GB_GAME_EVENT_DATA_VERSION "1.0"

/* The event id of a game, "xxxxxxxx-xxxx-5xxx-…". */
bool gb_game_event_id(const struct gb_game *game, char id[37]);

/* The event as a JSON object; source is the CloudEvents source (unused for
 * the Event Grid schema). NULL on allocation failure. */
cJSON *gb_game_event_build(const struct gb_game *game,
                           enum gb_event_schema schema, const char *source);

#endif
