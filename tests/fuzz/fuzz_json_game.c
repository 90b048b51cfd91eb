/* Untrusted JSON into a game or an event: gb_json_parse's limits, then the
 * validators, and a SendResult-style array of games. */
#include <stddef.h>
#include <stdint.h>

#include "gb_event.h"
#include "gb_game.h"
#include "gb_game_event.h"
#include "gb_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct gb_error err;
  struct gb_game game;
  struct gb_event event;
  cJSON *root = gb_json_parse((const char *)data, size, "body", &err);
  const cJSON *item;

  if (!root)
    return 0;
  if (gb_game_from_json(root, INT64_C(1733498352340), &game, &err)) {
    /* A valid game must always make a well-formed event. */
    cJSON *ev = gb_game_event_build(&game, GB_SCHEMA_EVENT_GRID, "/f");
    char *text = gb_json_print(ev);
    if (!ev || !text)
      __builtin_trap();
    cJSON_free(text);
    cJSON_Delete(ev);
  }
  cJSON_ArrayForEach(item, root)
      gb_game_from_json(item, INT64_C(1733498352340), &game, &err);
  gb_event_parse(root, &event, &err);
  gb_event_cleanup(&event);
  cJSON_Delete(root);
  return 0;
}
