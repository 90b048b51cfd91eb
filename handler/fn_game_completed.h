/* GameCompleted: the Event Grid-triggered function that turns finished-game
 * events into the leaderboards. The host POSTs one invocation per event of
 * a delivery (binding "eventGridEvent"); delivery is at least once. */
#ifndef FN_GAME_COMPLETED_H
#define FN_GAME_COMPLETED_H

#include "gb_function.h"

#define FN_GAME_COMPLETED_BINDING "eventGridEvent"

/* Replies 200 when the event is done with: counted, a duplicate, or kept
 * out and recorded in `rejected`. Replies non-2xx (so Event Grid delivers
 * again) when the database failed, with nothing half-applied: 503 when a
 * retry can help. A body that is not an invocation envelope gets 400. */
bool fn_game_completed(const struct gb_app *app, struct gb_call *call,
                       struct gb_error *err);

#endif
