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

void fn_stats_page(const struct gb_app *app, const struct gb_request *req,
                   struct gb_reply *reply)
{
  struct gb_invocation inv;
  struct gb_http_request_in request;
  struct gb_error err = {0};
  cJSON *owned = NULL, *outputs;
  char etag[24];
  bool unchanged;

  (void)app;
  if (!gb_invocation_parse(&inv, req->body, req->body_len, req->invocation_id,
                           &err) ||
      !gb_http_request_read(&inv, &request, &owned, &err)) {
    gb_reply_error(reply, &err);
    goto done;
  }
  snprintf(etag, sizeof(etag), "\"%016llx\"", page_hash());
  unchanged = gb_http_etag_matches(
      gb_http_request_header(&request, "If-None-Match"), etag);
  {
    const char *headers[] = {"ETag",
                             etag,
                             "Cache-Control",
                             "public, max-age=60",
                             "Content-Security-Policy",
                             STATS_PAGE_CSP,
                             "X-Content-Type-Options",
                             "nosniff",
                             NULL};

    outputs = gb_http_text_response(
        unchanged ? 304 : 200, "text/html; charset=utf-8",
        unchanged ? NULL : gb_stats_page, headers);
  }
  gb_invocation_log(&inv, "StatsPage invocation=%s status=%d", inv.id,
                    unchanged ? 304 : 200);
  gb_http_finish(reply, &inv, outputs);

done:
  cJSON_Delete(owned);
  gb_invocation_cleanup(&inv);
}
