/* gb_db_error: what a libmongoc error means for gridboard.
 *
 * One place decides which database failures a retry can fix (network, server
 * selection, Cosmos DB throttling 16500, time limits 50) and which cannot,
 * and reads Cosmos DB's RetryAfterMs hint out of the error message
 * (contracts/databases.md §3). */
#ifndef GB_DB_ERROR_H
#define GB_DB_ERROR_H

#include <stdint.h>

#define GB_DB_CODE_DUPLICATE_KEY 11000
#define GB_DB_CODE_TOO_MANY_REQUESTS 16500
#define GB_DB_CODE_NOT_IMPLEMENTED 238

enum gb_db_fault {
  GB_DB_FAULT_TRANSIENT,     /* retry later: the invocation fails with 503 */
  GB_DB_FAULT_THROTTLED,     /* Cosmos DB 16500: wait RetryAfterMs, retry */
  GB_DB_FAULT_DUPLICATE_KEY, /* 11000: the document exists */
  GB_DB_FAULT_PERMANENT      /* a retry gives the same answer */
};

/* Classifies a bson_error_t's domain and code (error API version 2). */
enum gb_db_fault gb_db_classify(uint32_t domain, uint32_t code);

/* The N of "RetryAfterMs=N" in a Cosmos DB error message, or fallback. */
long gb_db_retry_after_ms(const char *message, long fallback);

#endif
