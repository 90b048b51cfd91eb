/* gb_function: what the dispatcher (gb_dispatch) hands a function and
 * takes back. The dispatcher has parsed the invocation envelope and
 * resolved the trigger's binding; the function does its own work only. */
#ifndef GB_FUNCTION_H
#define GB_FUNCTION_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "gb_app.h"
#include "gb_error.h"
#include "gb_http_trigger.h"
#include "gb_invocation.h"

struct gb_call {
  struct gb_invocation *inv; /* the envelope; the function adds Logs lines */
  const cJSON *input;        /* the trigger's binding, unwrapped */
  struct gb_http_request_in http; /* HTTP triggers: input as the request */
  cJSON *outputs; /* set by the function, taken over: the Outputs object
                   * ({"res":…} for an HTTP trigger; NULL for {}) */
};

/* True when the invocation is done with (an HTTP function's refusals, 400
 * and the like, are answers in Outputs.res); false with err when it
 * failed: the host then gets err's status, and Event Grid delivers the
 * event again when err is retryable. */
typedef bool gb_function(const struct gb_app *app, struct gb_call *call,
                         struct gb_error *err);

#endif
