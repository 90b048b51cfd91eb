/* Link-time stand-ins for Cyrus SASL, which libmongoc-static refers to.
 * Used only with GB_STATIC_DEPS.
 *
 * Why: libmongoc uses Cyrus SASL for GSSAPI (Kerberos) authentication
 * only; PLAIN and SCRAM, which gridboard uses (Cosmos DB offers no
 * Kerberos), are implemented by libmongoc itself. The real library is one
 * more shared library to bundle and load, and mongoc_init, which Debian's
 * libmongoc runs as a constructor before main, has it load every plugin in
 * its directory and the libraries they need (a second libcrypto beside the
 * static one, Berkeley DB). Debian's static libsasl2.a is no way out: it
 * holds every plugin, which need Kerberos, LDAP and SQL client libraries
 * that have no archive.
 *
 * With these, the library starts with no mechanism at all, as the real one
 * does where no GSSAPI plugin is installed (as here): a connection string
 * asking for GSSAPI fails to authenticate with libmongoc's "Unsupported
 * mechanism by client: GSSAPI" error; nothing else changes. */
#include <sasl/sasl.h>
#include <stddef.h>

/* A stand-in ignores what it is given. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

void sasl_set_mutex(sasl_mutex_alloc_t *alloc, sasl_mutex_lock_t *lock,
                    sasl_mutex_unlock_t *unlock, sasl_mutex_free_t *free_fn)
{
}

int sasl_client_init(const sasl_callback_t *callbacks)
{
  return SASL_OK;
}

int sasl_client_done(void)
{
  return SASL_OK;
}

/* The mechanism list libmongoc checks before starting any exchange. */
const char **sasl_global_listmech(void)
{
  static const char *none[] = {NULL};
  return none;
}

int sasl_client_new(const char *service, const char *server_fqdn,
                    const char *iplocalport, const char *ipremoteport,
                    const sasl_callback_t *prompt_supp, unsigned flags,
                    sasl_conn_t **pconn)
{
  if (pconn)
    *pconn = NULL;
  return SASL_NOMECH;
}

int sasl_client_start(sasl_conn_t *conn, const char *mechlist,
                      sasl_interact_t **prompt_need, const char **clientout,
                      unsigned *clientoutlen, const char **mech)
{
  return SASL_NOMECH;
}

int sasl_client_step(sasl_conn_t *conn, const char *serverin,
                     unsigned serverinlen, sasl_interact_t **prompt_need,
                     const char **clientout, unsigned *clientoutlen)
{
  return SASL_NOMECH;
}

void sasl_dispose(sasl_conn_t **pconn)
{
  if (pconn)
    *pconn = NULL;
}

const char *sasl_errstring(int saslerr, const char *langlist,
                           const char **outlang)
{
  if (outlang)
    *outlang = "en-us";
  return "no SASL mechanism in this build";
}

const char *sasl_errdetail(sasl_conn_t *conn)
{
  return "no SASL mechanism in this build";
}
