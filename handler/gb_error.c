#include "gb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool gb_error_set(struct gb_error *err, enum gb_error_kind kind, int code,
                  const char *field, const char *fmt, ...)
{
  va_list ap;

  if (!err)
    return false;
  err->kind = kind;
  err->code = code;
  snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return false;
}

bool gb_error_nomem(struct gb_error *err)
{
  return gb_error_set(err, GB_ERR_NOMEM, 0, "", "out of memory");
}

void gb_error_clear(struct gb_error *err)
{
  if (err)
    memset(err, 0, sizeof(*err));
}

int gb_error_http_status(const struct gb_error *err)
{
  switch (err->kind) {
  case GB_ERR_NONE: return 200;
  case GB_ERR_INVALID: return 400;
  case GB_ERR_FORBIDDEN: return 403;
  case GB_ERR_NOT_FOUND: return 404;
  case GB_ERR_METHOD: return 405;
  case GB_ERR_CONFLICT: return 409;
  case GB_ERR_TOO_LARGE: return 413;
  case GB_ERR_MEDIA_TYPE: return 415;
  case GB_ERR_UNAVAILABLE: return 503;
  case GB_ERR_UPSTREAM: return 502;
  case GB_ERR_DATABASE:
  case GB_ERR_CONFIG:
  case GB_ERR_NOMEM:
  case GB_ERR_INTERNAL: return 500;
  }
  return 500;
}

const char *gb_error_kind_name(enum gb_error_kind kind)
{
  switch (kind) {
  case GB_ERR_NONE: return "none";
  case GB_ERR_INVALID: return "invalid_input";
  case GB_ERR_TOO_LARGE: return "too_large";
  case GB_ERR_MEDIA_TYPE: return "unsupported_media_type";
  case GB_ERR_FORBIDDEN: return "forbidden";
  case GB_ERR_NOT_FOUND: return "not_found";
  case GB_ERR_METHOD: return "method_not_allowed";
  case GB_ERR_CONFLICT: return "conflict";
  case GB_ERR_UNAVAILABLE: return "unavailable";
  case GB_ERR_UPSTREAM: return "upstream_refused";
  case GB_ERR_DATABASE: return "database_error";
  case GB_ERR_CONFIG: return "configuration_error";
  case GB_ERR_NOMEM: return "out_of_memory";
  case GB_ERR_INTERNAL: return "internal_error";
  }
  return "internal_error";
}

bool gb_error_retryable(const struct gb_error *err)
{
  /* Memory may be there for the next attempt. */
  return err->kind == GB_ERR_UNAVAILABLE || err->kind == GB_ERR_NOMEM;
}
