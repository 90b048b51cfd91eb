#include "gb_tls.h"

#include <pthread.h>

#include <curl/curl.h>

#ifdef GB_DEFER_MONGOC_OPENSSL_INIT
/* libmongoc's constructor (_mongoc_init_ctor → mongoc_init →
 * _mongoc_do_init) runs from .init_array before main and, in it,
 * _mongoc_openssl_init: OPENSSL_init_ssl and a throwaway SSL_CTX, the
 * larger part of a cold start. The static link wraps that one symbol
 * (CMakeLists.txt: -Wl,--wrap=_mongoc_openssl_init): the constructor's
 * call lands in __wrap__mongoc_openssl_init, which does nothing, and
 * gb_tls_start runs the same, unchanged function through
 * __real__mongoc_openssl_init. Should a libmongoc release rename or drop
 * the symbol, __real__mongoc_openssl_init is undefined and the static
 * link fails: nothing can silently skip the initialisation. */
/* The linker's --wrap names: reserved, but these are the only spelling. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier) */
void __real__mongoc_openssl_init(void);
/* NOLINTNEXTLINE(bugprone-reserved-identifier) */
void __wrap__mongoc_openssl_init(void);

void __wrap__mongoc_openssl_init(void)
{
}
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool curl_started;

static void start_once(void)
{
#ifdef GB_DEFER_MONGOC_OPENSSL_INIT
  __real__mongoc_openssl_init();
#endif
  curl_started = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

bool gb_tls_start(struct gb_error *err)
{
  if (pthread_once(&once, start_once) != 0)
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "",
                        "TLS start-up: pthread_once failed");
  /* pthread_once orders this read after start_once's write. */
  if (!curl_started)
    return gb_error_set(err, GB_ERR_UNAVAILABLE, 0, "",
                        "TLS start-up: libcurl could not be initialised");
  return true;
}

void gb_tls_cleanup(void)
{
  if (curl_started)
    curl_global_cleanup();
  curl_started = false;
}
