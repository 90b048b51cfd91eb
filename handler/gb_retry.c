#include "gb_retry.h"

#include <stdlib.h>

bool gb_retry_status_retryable(long status)
{
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

long gb_retry_backoff_ms(int attempt, long base_ms, long cap_ms,
                         uint32_t random)
{
  long ceiling = base_ms;
  int i;

  for (i = 0; i < attempt && ceiling < cap_ms; i++)
    ceiling *= 2;
  if (ceiling > cap_ms)
    ceiling = cap_ms;
  return ceiling > 0 ? (long)(random % (uint32_t)(ceiling + 1)) : 0;
}

bool gb_retry_after_header_ms(const char *value, long *ms)
{
  char *end;
  long seconds;

  if (!value || *value < '0' || *value > '9')
    return false;
  seconds = strtol(value, &end, 10);
  while (*end == ' ')
    end++;
  if (*end || seconds < 0 || seconds > 3600)
    return false;
  *ms = seconds * 1000;
  return true;
}
