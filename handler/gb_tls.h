/* gb_tls: the process-wide start-up of OpenSSL and libcurl, run once.
 *
 * Initialising OpenSSL (loading its configuration and creating a first
 * SSL_CTX) takes milliseconds, and a Functions host counts a handler as
 * started at its first answer to GET /. So none of it happens before the
 * server listens: main calls gb_tls_start right after, as a warm-up, and
 * the store and the publisher call it again before their first TLS or
 * libcurl use, whichever comes first.
 *
 * In a static build (GB_STATIC_DEPS) the link defers libmongoc's own
 * OpenSSL set-up, which its load-time constructor would otherwise run
 * before main, to gb_tls_start; in a shared build that constructor has
 * already run and gb_tls_start initialises libcurl only. */
#ifndef GB_TLS_H
#define GB_TLS_H

#include <stdbool.h>

#include "gb_error.h"

/* Initialises OpenSSL for libmongoc, then libcurl
 * (curl_global_init(CURL_GLOBAL_DEFAULT)), once per process, however many
 * threads call it at the same time; every call returns the first one's
 * result. On failure err is GB_ERR_UNAVAILABLE. */
bool gb_tls_start(struct gb_error *err);

/* Releases libcurl's global state if gb_tls_start initialised it. Once,
 * from main, after every other thread is done. */
void gb_tls_cleanup(void);

#endif
