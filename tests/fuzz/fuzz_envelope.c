/* The host's invocation envelope, as each function reads it: the body,
 * Data.<binding> with its double encoding, the event, the game, and the
 * HTTP request of an httpTrigger. */
#include <stddef.h>
#include <stdint.h>

#include "gb_event.h"
#include "gb_game.h"
#include "gb_http_trigger.h"
#include "gb_invocation.h"
#include "gb_leaderboard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct gb_invocation inv;
  struct gb_error err;
  struct gb_event event = {0};
  struct gb_game game;
  struct gb_http_request_in request;
  enum gb_period period;
  cJSON *owned = NULL, *reply;
  const cJSON *value;

  if (gb_invocation_parse(&inv, (const char *)data, size, "fuzz", &err)) {
    value = gb_invocation_binding(&inv, "eventGridEvent", &owned, &err);
    if (value && gb_event_parse(value, &event, &err))
      gb_game_from_json(event.data, INT64_C(1733498352340), &game, &err);
    gb_event_cleanup(&event);
    cJSON_Delete(owned);
    owned = NULL;
    value =
        gb_invocation_binding(&inv, GB_HTTP_TRIGGER_BINDING, &owned, &err);
    if (value && gb_http_request_from(value, &request, &err)) {
      const char *p = gb_http_request_param(&request, "period");
      if (p)
        gb_period_parse(p, &period);
      gb_http_request_header(&request, "If-None-Match");
    }
    cJSON_Delete(owned);
    gb_invocation_log(&inv, "fuzz %s", inv.id);
    reply = gb_invocation_reply(&inv, NULL, NULL);
    cJSON_Delete(reply);
  }
  gb_invocation_cleanup(&inv);
  return 0;
}
