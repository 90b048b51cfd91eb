/* gb_error: the one error value every fallible gridboard call fills in.
 *
 * Modelled on libmongoc's bson_error_t: the caller owns a struct gb_error on
 * its stack, a failing call fills it, and exactly one function
 * (gb_error_http_status) turns its kind into an HTTP status. */
#ifndef GB_ERROR_H
#define GB_ERROR_H

#include <stdbool.h>

enum gb_error_kind {
  GB_ERR_NONE = 0,
  GB_ERR_INVALID,     /* the caller sent something wrong: 400 */
  GB_ERR_TOO_LARGE,   /* a body over the configured limit: 413 */
  GB_ERR_MEDIA_TYPE,  /* not application/json: 415 */
  GB_ERR_FORBIDDEN,   /* switched off by configuration: 403 */
  GB_ERR_NOT_FOUND,   /* no such route: 404 */
  GB_ERR_METHOD,      /* route exists, method does not: 405 */
  GB_ERR_CONFLICT,    /* clashes with what is stored: 409 */
  GB_ERR_UNAVAILABLE, /* a dependency failed in a way a retry can fix: 503 */
  GB_ERR_UPSTREAM,    /* a dependency refused the request for good: 502 */
  GB_ERR_DATABASE, /* the database failed for good, or answered nonsense: 500
                    */
  GB_ERR_CONFIG,   /* a setting is missing or invalid (start-up only) */
  GB_ERR_NOMEM,    /* an allocation failed: 500, retryable */
  GB_ERR_INTERNAL  /* a bug: 500 */
};

struct gb_error {
  enum gb_error_kind kind;
  int code;          /* the underlying code (a server error code), or 0 */
  char field[64];    /* the input field or setting at fault, or "" */
  char message[256]; /* for people; never holds a secret */
};

/* Fills err (which may be NULL) and returns false, so callers can write
 * `return gb_error_set(...)`. The message is truncated to fit. */
bool gb_error_set(struct gb_error *err, enum gb_error_kind kind, int code,
                  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* gb_error_set for a failed allocation. */
bool gb_error_nomem(struct gb_error *err);

void gb_error_clear(struct gb_error *err);

/* The HTTP status a reply carries for this kind of error. */
int gb_error_http_status(const struct gb_error *err);

/* A short machine-readable name of the kind ("invalid_input", ...). */
const char *gb_error_kind_name(enum gb_error_kind kind);

/* True when the same request may succeed later (the caller should retry). */
bool gb_error_retryable(const struct gb_error *err);

#endif
