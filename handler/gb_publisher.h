/* gb_publisher: POSTs event batches to an Event Grid topic (libcurl).
 *
 *   POST <topic>/api/events?api-version=2018-01-01
 *   aeg-sas-key: <key>, or aeg-sas-token: <SAS signed here>
 *   Content-Type: application/json (Event Grid schema) or
 *                 application/cloudevents-batch+json (CloudEvents 1.0)
 *
 * Thread-safe: each thread gets an easy handle of its own, kept for the
 * thread's life so that its connections are reused; handles are never
 * shared. A thread's first publish calls gb_tls_start (libcurl's global
 * set-up) first. TLS is always verified. 408, 429, 5xx and transport
 * errors are retried with capped exponential back-off and jitter until the
 * deadline; other answers are final. Keys never reach a log or an error
 * message. */
#ifndef GB_PUBLISHER_H
#define GB_PUBLISHER_H

#include <stdbool.h>
#include <stddef.h>

#include "gb_config.h"
#include "gb_error.h"
#include "gb_event.h"

struct gb_publisher;

struct gb_publish_report {
  int attempts; /* HTTP requests made, retries included */
  long status;  /* the last HTTP status, 0 for a transport error */
};

/* A publisher for the topic in cfg (cfg->eg_endpoint must be set); checks
 * that the key is base64. cfg must outlive it. */
struct gb_publisher *gb_publisher_new(const struct gb_config *cfg,
                                      struct gb_error *err);

/* Only once no thread publishes any more. NULL is ok. */
void gb_publisher_destroy(struct gb_publisher *publisher);

enum gb_event_schema gb_publisher_schema(const struct gb_publisher *p);
const char *gb_publisher_source(const struct gb_publisher *p);

/* Publishes one request body (a JSON array of events). On failure err is
 * GB_ERR_UNAVAILABLE when a later try may succeed (the deadline ran out on
 * retryable answers), GB_ERR_UPSTREAM when Event Grid refused the request
 * for good; the message quotes Event Grid's error code and message. */
bool gb_publisher_send(struct gb_publisher *publisher, const char *body,
                       size_t len, struct gb_publish_report *report,
                       struct gb_error *err);

#endif
