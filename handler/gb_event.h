/* gb_event: one delivered event, in the Event Grid schema or CloudEvents 1.0.
 *
 * Pure: reads a cJSON tree the caller owns and points into it. The schemas
 * are told apart as the Event Grid extension does: a CloudEvent carries
 * "specversion", an Event Grid event "eventType". */
#ifndef GB_EVENT_H
#define GB_EVENT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "gb_error.h"

#define GB_EVENT_TYPE_GAME_COMPLETED "GameCompleted"

enum gb_event_schema { GB_SCHEMA_EVENT_GRID, GB_SCHEMA_CLOUD_EVENTS };

struct gb_event {
  enum gb_event_schema schema;
  const char *id;    /* into the tree */
  const char *type;  /* eventType or type */
  const cJSON *data; /* the payload, unwrapped if it came as a string */
  cJSON *owned_data; /* set when data had to be parsed from a string */
};

/* Checks the envelope fields each schema requires (Event Grid: id,
 * eventType, subject, eventTime, data; CloudEvents: specversion "1.0", id,
 * source, type, data) and fills *event. On failure fills err
 * (GB_ERR_INVALID, naming the field), with event->id still set when the
 * event has a string id. Call gb_event_cleanup afterwards in every case. */
bool gb_event_parse(const cJSON *value, struct gb_event *event,
                    struct gb_error *err);

void gb_event_cleanup(struct gb_event *event);

#endif
