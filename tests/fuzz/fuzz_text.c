/* The small text parsers: periods, ISO-8601 times, Retry-After values,
 * Cosmos DB's RetryAfterMs, loopback URLs, log redaction, UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_config.h"
#include "gb_db_error.h"
#include "gb_leaderboard.h"
#include "gb_log.h"
#include "gb_retry.h"
#include "gb_text.h"
#include "gb_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), clean[64], formatted[32];
  struct gb_error err;
  enum gb_period period;
  int64_t ms;
  long retry_ms;
  size_t len;

  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  len = strlen(text);
  gb_period_parse(text, &period);
  if (gb_time_parse(text, &ms, "t", &err)) {
    /* What parses formats back to a time that parses to the same ms. */
    int64_t again;
    gb_time_format(ms, formatted);
    if (!gb_time_parse(formatted, &again, "t", &err) || again != ms)
      __builtin_trap();
    gb_time_add_months(ms, -1);
  }
  gb_retry_after_header_ms(text, &retry_ms);
  gb_db_retry_after_ms(text, 1);
  gb_config_url_is_loopback(text);
  gb_utf8_valid(text, len);
  gb_text_printable(text);
  gb_text_sanitize(clean, sizeof(clean), text, len);
  if (!gb_utf8_valid(clean, strlen(clean)))
    __builtin_trap();
  gb_log_redact(text);
  free(text);
  return 0;
}
