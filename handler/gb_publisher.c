#include "gb_publisher.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "gb_crypto.h"
#include "gb_json.h"
#include "gb_log.h"
#include "gb_retry.h"
#include "gb_sas.h"
#include "gb_text.h"
#include "gb_time.h"
#include "gb_tls.h"

#define API_VERSION "2018-01-01"
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 2000
#define SAS_LIFETIME_MS INT64_C(600000) /* 10 minutes */
#define REPLY_MAX 4096

struct gb_publisher {
  const struct gb_config *cfg;
  char url[400];      /* …/api/events?api-version=2018-01-01 */
  char resource[360]; /* …/api/events, what a SAS token is signed for */
  pthread_key_t thread_key;
};

/* What one thread keeps between publishes. */
struct thread_state {
  CURL *curl;
  unsigned int seed; /* for the back-off jitter */
};

struct reply {
  char body[REPLY_MAX + 1];
  size_t len;
  long retry_after_ms;
};

/* ================ Set-up ================ */

static void free_thread_state(void *arg)
{
  struct thread_state *state = arg;

  curl_easy_cleanup(state->curl);
  free(state);
}

struct gb_publisher *gb_publisher_new(const struct gb_config *cfg,
                                      struct gb_error *err)
{
  struct gb_publisher *p = calloc(1, sizeof(*p));
  unsigned char key[256];
  size_t key_len;
  const char *e = cfg->eg_endpoint;
  size_t len = strlen(e);
  bool has_path;

  if (!p) {
    gb_error_nomem(err);
    return NULL;
  }
  p->cfg = cfg;
  if (!gb_base64_decode(cfg->eg_key, key, sizeof(key), &key_len)) {
    free(p);
    gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_KEY",
                 "EVENT_GRID_TOPIC_KEY is not a base64 access key");
    return NULL;
  }
  while (len > 0 && e[len - 1] == '/')
    len--;
  /* The portal shows the endpoint with /api/events; accept it without. */
  has_path = len >= 11 && strncmp(e + len - 11, "/api/events", 11) == 0;
  snprintf(p->resource, sizeof(p->resource), "%.*s%s", (int)len, e,
           has_path ? "" : "/api/events");
  snprintf(p->url, sizeof(p->url), "%s?api-version=" API_VERSION,
           p->resource);
  if (pthread_key_create(&p->thread_key, free_thread_state) != 0) {
    free(p);
    gb_error_set(err, GB_ERR_INTERNAL, 0, "", "no thread key");
    return NULL;
  }
  return p;
}

void gb_publisher_destroy(struct gb_publisher *p)
{
  struct thread_state *own;

  if (!p)
    return;
  /* Worker threads freed theirs when they ended; this thread's, if any,
   * is freed here. */
  own = pthread_getspecific(p->thread_key);
  if (own)
    free_thread_state(own);
  pthread_key_delete(p->thread_key);
  free(p);
}

enum gb_event_schema gb_publisher_schema(const struct gb_publisher *p)
{
  return p->cfg->eg_cloud_events ? GB_SCHEMA_CLOUD_EVENTS
                                 : GB_SCHEMA_EVENT_GRID;
}

const char *gb_publisher_source(const struct gb_publisher *p)
{
  return p->cfg->eg_source;
}

/* The calling thread's state, created on its first publish (after
 * gb_tls_start: libcurl is initialised once the server listens, not at
 * start-up). NULL with err on failure. */
static struct thread_state *thread_state(struct gb_publisher *p,
                                         struct gb_error *err)
{
  struct thread_state *state = pthread_getspecific(p->thread_key);

  if (state)
    return state;
  if (!gb_tls_start(err))
    return NULL;
  state = calloc(1, sizeof(*state));
  if (!state) {
    gb_error_nomem(err);
    return NULL;
  }
  state->curl = curl_easy_init();
  state->seed = (unsigned int)gb_time_now_ms() ^ (unsigned int)(size_t)state;
  if (!state->curl || pthread_setspecific(p->thread_key, state) != 0) {
    curl_easy_cleanup(state->curl);
    free(state);
    gb_error_nomem(err);
    return NULL;
  }
  return state;
}

/* ================ One request ================ */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
  struct reply *r = arg;
  size_t len = size * n, room = REPLY_MAX - r->len;

  memcpy(r->body + r->len, data, len < room ? len : room);
  r->len += len < room ? len : room;
  r->body[r->len] = '\0';
  return len; /* the rest is read and dropped */
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
  struct reply *r = arg;
  size_t len = size * n;
  static const char name[] = "retry-after:";
  char value[32];

  if (len > sizeof(name) - 1 && len - (sizeof(name) - 1) < sizeof(value) &&
      strncasecmp(data, name, sizeof(name) - 1) == 0) {
    size_t vlen = len - (sizeof(name) - 1);
    memcpy(value, data + sizeof(name) - 1, vlen);
    value[vlen] = '\0';
    value[strcspn(value, "\r\n")] = '\0';
    if (!gb_retry_after_header_ms(value + strspn(value, " "),
                                  &r->retry_after_ms))
      r->retry_after_ms = -1;
  }
  return len;
}

/* The auth header for this attempt; a SAS token is signed afresh. */
static bool auth_header(struct gb_publisher *p, char *out, size_t cap,
                        struct gb_error *err)
{
  char token[GB_SAS_TOKEN_MAX];

  if (!p->cfg->eg_sas) {
    if ((size_t)snprintf(out, cap, "aeg-sas-key: %s", p->cfg->eg_key) >= cap)
      return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_KEY",
                          "EVENT_GRID_TOPIC_KEY is too long");
    return true;
  }
  if (!gb_sas_token(p->resource, p->cfg->eg_key,
                    gb_time_now_ms() + SAS_LIFETIME_MS, token, sizeof(token),
                    err))
    return false;
  snprintf(out, cap, "aeg-sas-token: %s", token);
  return true;
}

/* Sends once. Returns the HTTP status, 0 for a transport error (with its
 * text in transport_error), or -1 when the request could not be made; a
 * certificate that does not verify sets *untrusted, since retrying cannot
 * change it. */
static long send_once(struct gb_publisher *p, struct thread_state *state,
                      const char *body, size_t len, long timeout_ms,
                      struct reply *reply, char *transport_error,
                      bool *untrusted, struct gb_error *err)
{
  CURL *curl = state->curl;
  struct curl_slist *headers = NULL, *more;
  char auth[GB_SAS_TOKEN_MAX + 64];
  long status = 0;
  CURLcode rc;

  if (!auth_header(p, auth, sizeof(auth), err))
    return -1;
  headers = curl_slist_append(
      NULL, gb_publisher_schema(p) == GB_SCHEMA_CLOUD_EVENTS
                ? "Content-Type: application/cloudevents-batch+json; "
                  "charset=utf-8"
                : "Content-Type: application/json; charset=utf-8");
  more = headers ? curl_slist_append(headers, auth) : NULL;
  memset(auth, 0, sizeof(auth));
  /* No "Expect: 100-continue" round trip before each body. */
  more = more ? curl_slist_append(more, "Expect:") : NULL;
  if (!more) {
    curl_slist_free_all(headers);
    gb_error_nomem(err);
    return -1;
  }
  headers = more;

  curl_easy_reset(curl); /* keeps the connection cache */
  transport_error[0] = '\0';
  memset(reply, 0, sizeof(*reply));
  reply->retry_after_ms = -1;
  curl_easy_setopt(curl, CURLOPT_URL, p->url);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   timeout_ms < 3000 ? timeout_ms : 3000L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (p->cfg->eg_ca_file)
    curl_easy_setopt(curl, CURLOPT_CAINFO, p->cfg->eg_ca_file);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transport_error);

  rc = curl_easy_perform(curl);
  *untrusted =
      rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
  if (rc == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  else if (!transport_error[0])
    snprintf(transport_error, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
  /* The header list held the key: nothing may point to it after this. */
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all(headers);
  return rc == CURLE_OK ? status : 0;
}

/* "<code>: <message>" from Event Grid's {"error":{"code","message"}}. */
static void describe_reply(const struct reply *r, char *out, size_t cap)
{
  struct gb_error ignored;
  cJSON *root = gb_json_parse(r->body, r->len, "reply", &ignored);
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
  char text[300];

  snprintf(text, sizeof(text), "%s%s%s",
           cJSON_IsString(code) ? code->valuestring : "",
           cJSON_IsString(code) && cJSON_IsString(message) ? ": " : "",
           cJSON_IsString(message) ? message->valuestring : "");
  gb_text_sanitize(out, cap, text, strlen(text));
  cJSON_Delete(root);
}

/* ================ Publishing with retries ================ */

/* True, with err, when an attempt's outcome (status, or 0 for a transport
 * failure described by why) is one that no retry can change. */
static bool refused_for_good(long status, bool untrusted, const char *why,
                             struct gb_error *err)
{
  if (untrusted)
    return !gb_error_set(err, GB_ERR_UPSTREAM, 0, "",
                         "Event Grid's TLS certificate is not trusted (%s)",
                         why);
  if (status == 401 || status == 403)
    /* The fix first: Event Grid's own message is long and gets cut. */
    return !gb_error_set(err, GB_ERR_UPSTREAM, (int)status,
                         "EVENT_GRID_TOPIC_KEY",
                         "Event Grid refused the credentials with %ld: set "
                         "EVENT_GRID_TOPIC_KEY to one of the topic's access "
                         "keys (or check EVENT_GRID_AUTH) (%s)",
                         status, why);
  if (status && !gb_retry_status_retryable(status))
    return !gb_error_set(err, GB_ERR_UPSTREAM, (int)status, "",
                         "Event Grid refused the events with %ld (%s)",
                         status, why);
  return false;
}

bool gb_publisher_send(struct gb_publisher *p, const char *body, size_t len,
                       struct gb_publish_report *report, struct gb_error *err)
{
  struct thread_state *state;
  int64_t deadline = gb_time_now_ms() + p->cfg->eg_deadline_ms;
  char transport_error[CURL_ERROR_SIZE], why[320];
  struct reply *reply;
  bool ok = false;

  memset(report, 0, sizeof(*report));
  state = thread_state(p, err);
  if (!state)
    return false;
  reply = malloc(sizeof(*reply));
  if (!reply)
    return gb_error_nomem(err);
  for (;;) {
    int64_t now = gb_time_now_ms(), left = deadline - now;
    long timeout =
        left < p->cfg->eg_timeout_ms ? (long)left : p->cfg->eg_timeout_ms;
    long status, wait;
    bool untrusted = false;

    status = send_once(p, state, body, len, timeout > 0 ? timeout : 1, reply,
                       transport_error, &untrusted, err);
    if (status < 0)
      break; /* err is set */
    report->attempts++;
    report->status = status;
    if (status == 200) {
      ok = true;
      break;
    }
    if (status)
      describe_reply(reply, why, sizeof(why));
    else
      snprintf(why, sizeof(why), "%s", transport_error);
    if (refused_for_good(status, untrusted, why, err))
      break;
    wait =
        gb_retry_backoff_ms(report->attempts - 1, BACKOFF_BASE_MS,
                            BACKOFF_CAP_MS, (uint32_t)rand_r(&state->seed));
    if (reply->retry_after_ms > wait)
      wait = reply->retry_after_ms;
    if (gb_time_now_ms() + wait >= deadline) {
      if (status)
        gb_error_set(err, GB_ERR_UNAVAILABLE, (int)status, "",
                     "Event Grid answered %ld (%s) %d times within %ld ms",
                     status, why, report->attempts, p->cfg->eg_deadline_ms);
      else
        gb_error_set(err, GB_ERR_UNAVAILABLE, 0, "",
                     "Event Grid could not be reached (%s) in %d attempts "
                     "within %ld ms",
                     why, report->attempts, p->cfg->eg_deadline_ms);
      break;
    }
    gb_time_sleep_ms(wait);
  }
  free(reply);
  return ok;
}
