/* SendResult: the HTTP-triggered function (POST /api/Stats/SendResult) that
 * GameAPI calls with a finished game, or a JSON array of them. Each valid
 * game becomes the GameCompleted event GameAPI would publish itself, and
 * the events go to the Event Grid topic. */
#ifndef FN_SEND_RESULT_H
#define FN_SEND_RESULT_H

#include "gb_function.h"

#define FN_SEND_RESULT_MAX_GAMES 5000
#define FN_SEND_RESULT_MAX_BODY_BYTES 2097152

/* The caller's answer goes in Outputs.res: 202 {"accepted":N,
 * "eventIds":[…]} once every event is published; 400 naming the bad field
 * ("[2].RockCount" in an array); 413 over the limits; 503 (retryable) or
 * 502 when Event Grid did not take the events, listing the event ids that
 * were published before it failed. Nothing is accepted unless every game in
 * the request is valid. */
bool fn_send_result(const struct gb_app *app, struct gb_call *call,
                    struct gb_error *err);

#endif
