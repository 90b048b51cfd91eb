#include "gb_db_error.h"

#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

/* Server error codes that say "not now" rather than "never": network and
 * shutdown states, primaries stepping down, time limits. */
static const uint32_t transient_codes[] = {
    6,     /* HostUnreachable */
    7,     /* HostNotFound */
    50,    /* MaxTimeMSExpired; on Cosmos DB, ExceededTimeLimit */
    89,    /* NetworkTimeout */
    91,    /* ShutdownInProgress */
    112,   /* WriteConflict */
    189,   /* PrimarySteppedDown */
    262,   /* ExceededTimeLimit */
    9001,  /* SocketException */
    10107, /* NotWritablePrimary */
    11600, /* InterruptedAtShutdown */
    11602, /* InterruptedDueToReplStateChange */
    13435, /* NotPrimaryNoSecondaryOk */
    13436, /* NotPrimaryOrSecondary */
};

enum gb_db_fault gb_db_classify(uint32_t domain, uint32_t code)
{
  size_t i;

  switch (domain) {
  case MONGOC_ERROR_STREAM:
  case MONGOC_ERROR_SERVER_SELECTION: return GB_DB_FAULT_TRANSIENT;
  case MONGOC_ERROR_SERVER:
  case MONGOC_ERROR_WRITE_CONCERN:
  case MONGOC_ERROR_QUERY:
  case MONGOC_ERROR_COLLECTION:
  case MONGOC_ERROR_COMMAND:
    if (code == GB_DB_CODE_DUPLICATE_KEY)
      return GB_DB_FAULT_DUPLICATE_KEY;
    if (code == GB_DB_CODE_TOO_MANY_REQUESTS)
      return GB_DB_FAULT_THROTTLED;
    for (i = 0; i < sizeof(transient_codes) / sizeof(transient_codes[0]); i++)
      if (code == transient_codes[i])
        return GB_DB_FAULT_TRANSIENT;
    return GB_DB_FAULT_PERMANENT;
  case MONGOC_ERROR_CLIENT:
    /* The pool or a session gave out; authentication failures land here
     * too but carry MONGOC_ERROR_CLIENT_AUTHENTICATE. */
    return code == MONGOC_ERROR_CLIENT_AUTHENTICATE ? GB_DB_FAULT_PERMANENT
                                                    : GB_DB_FAULT_TRANSIENT;
  default: return GB_DB_FAULT_PERMANENT;
  }
}

long gb_db_retry_after_ms(const char *message, long fallback)
{
  static const char key[] = "RetryAfterMs=";
  const char *p = message ? strstr(message, key) : NULL;
  char *end;
  long ms;

  if (!p)
    return fallback;
  p += sizeof(key) - 1;
  if (*p < '0' || *p > '9')
    return fallback;
  ms = strtol(p, &end, 10);
  return ms >= 0 && ms <= 60000 ? ms : fallback;
}
