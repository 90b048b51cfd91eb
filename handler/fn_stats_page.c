#include "fn_stats_page.h"

#include <stdio.h>

#include "gb_http_trigger.h"
#include "gb_invocation.h"

/* cmake/embed_text.cmake, from handler/stats_page.html. */
extern const char gb_stats_page[];
extern const size_t gb_stats_page_size;

/* Inline script and style only, fetches to its own origin only, nothing
 * else loaded: the page is one file. */
#define STATS_PAGE_CSP                                                       \
  "default-src 'none'; script-src 'unsafe-inline'; "                         \
  "style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; "         \
  "form-action 'none'; frame-ancestors 'none'"

/* FNV-1a of the page: its ETag changes with its bytes only. */
static unsigned long long page_hash(void)
{
  unsigned long long h = 14695981039346656037ull;

  for (size_t i = 0; i < gb_stats_page_size; i++)
    h = (h ^ (unsigned char)gb_stats_page[i]) * 1099511628211ull;
  return h;
}

bool fn_stats_page(const struct gb_app *app, struct gb_call *call,
                   struct gb_error *err)
{
  char etag[24];
  bool unchanged;

  (void)app;
  (void)err; /* the page is always there */
  snprintf(etag, sizeof(etag), "\"%016llx\"", page_hash());
  unchanged = gb_http_etag_matches(
      gb_http_request_header(&call->http, "If-None-Match"), etag);
  {
    const char *headers[] = {
        "ETag", etag, "Cache-Control", "public, max-age=60",
        "Content-Security-Policy",
        /* One value, joined from lines. */
        /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
        STATS_PAGE_CSP, "X-Content-Type-Options", "nosniff", NULL};

    call->outputs = gb_http_text_response(
        unchanged ? 304 : 200, "text/html; charset=utf-8",
        unchanged ? NULL : gb_stats_page, headers);
  }
  gb_invocation_log(call->inv, "StatsPage invocation=%s status=%d",
                    call->inv->id, unchanged ? 304 : 200);
  return true;
}
