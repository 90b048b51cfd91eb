/* Link-time stand-ins for the parts of Debian's static libcurl that
 * gridboard never reaches: the RTMP and LDAP protocol backends and GSS-API
 * (Kerberos/SPNEGO) authentication. Used only with GB_STATIC_DEPS.
 *
 * Why: libcurl.a refers to every backend Debian built it with, so linking
 * it needs librtmp, libldap/liblber and libgssapi_krb5. Debian ships no
 * static archive of them, and their shared libraries bring GnuTLS, p11-kit
 * and the Kerberos libraries back, whose loading and constructors are most
 * of what the static link saves. gridboard's publisher allows only http and
 * https (CURLOPT_PROTOCOLS_STR), follows no redirect and asks for no
 * Negotiate authentication, so libcurl never calls into these backends.
 *
 * Each stand-in fails the way the real library reports failure (no handle,
 * an error code, GSS_S_FAILURE), never crashes: should libcurl ever reach
 * one (an environment proxy offering SOCKS5 GSS-API, say), the transfer
 * fails with a libcurl error and gridboard answers as for any publish
 * error. The prototypes follow librtmp's rtmp.h, OpenLDAP 2.5's ldap.h and
 * lber.h and MIT Kerberos' gssapi.h (their headers are not installed);
 * opaque handles are void pointers, which the x86-64 ABI passes alike. */
#include <stddef.h>
#include <stdint.h>

/* A stand-in ignores what it is given. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* librtmp: libcurl's rtmp handler starts with RTMP_Alloc and gives up
 * (CURLE_OUT_OF_MEMORY) when it returns NULL. */
void *RTMP_Alloc(void);
void RTMP_Free(void *r);
void RTMP_Init(void *r);
int RTMP_SetupURL(void *r, char *url);
int RTMP_Connect1(void *r, void *packet);
int RTMP_ConnectStream(void *r, int seek_time);
void RTMP_Close(void *r);
int RTMP_Read(void *r, char *buf, int size);
int RTMP_Write(void *r, const char *buf, int size);
void RTMP_SetBufferMS(void *r, int size);

void *RTMP_Alloc(void)
{
  return NULL;
}
void RTMP_Free(void *r)
{
}
void RTMP_Init(void *r)
{
}
int RTMP_SetupURL(void *r, char *url)
{
  return 0;
}
int RTMP_Connect1(void *r, void *packet)
{
  return 0;
}
int RTMP_ConnectStream(void *r, int seek_time)
{
  return 0;
}
void RTMP_Close(void *r)
{
}
int RTMP_Read(void *r, char *buf, int size)
{
  return -1;
}
int RTMP_Write(void *r, const char *buf, int size)
{
  return -1;
}
void RTMP_SetBufferMS(void *r, int size)
{
}

/* OpenLDAP: libcurl's ldap handler fails at ldap_url_parse or
 * ldap_init_fd. */
enum {
  GB_LDAP_OPT_ERROR = -1,
  GB_LDAP_URL_ERR_BADSCHEME = 3,
  GB_LDAP_NOT_SUPPORTED = -12
};
int ldap_get_option(void *ld, int option, void *out);
int ldap_set_option(void *ld, int option, const void *in);
void ldap_memfree(void *p);
int ldap_url_parse(const char *url, void **desc);
void ldap_free_urldesc(void *desc);
int ldap_pvt_url_scheme2proto(const char *scheme);
int ldap_init_fd(int fd, int proto, const char *url, void **ld);
char *ldap_err2string(int err);
int ldap_abandon_ext(void *ld, int msgid, void **sctrls, void **cctrls);
int ldap_msgfree(void *msg);
int ldap_msgtype(void *msg);
int ldap_parse_result(void *ld, void *res, int *errcode, char **matched_dn,
                      char **errmsg, char ***referrals, void ***sctrls,
                      int freeit);
int ldap_parse_sasl_bind_result(void *ld, void *res, void **servercred,
                                int freeit);
int ldap_result(void *ld, int msgid, int all, void *timeout, void **result);
int ldap_sasl_bind(void *ld, const char *dn, const char *mechanism,
                   void *cred, void **sctrls, void **cctrls, int *msgid);
int ldap_search_ext(void *ld, const char *base, int scope, const char *filter,
                    char **attrs, int attrsonly, void **sctrls, void **cctrls,
                    void *timeout, int sizelimit, int *msgid);
int ldap_start_tls(void *ld, void **sctrls, void **cctrls, int *msgid);
int ldap_unbind_ext(void *ld, void **sctrls, void **cctrls);
int ldap_get_attribute_ber(void *ld, void *entry, void *ber, void *attr,
                           void **vals);
int ldap_get_dn_ber(void *ld, void *entry, void **ber, void *dn);
void ber_bvfree(void *bv);
void ber_free(void *ber, int freebuf);
void ber_memfree(void *p);
int ber_sockbuf_add_io(void *sb, void *io, int layer, void *arg);

int ldap_get_option(void *ld, int option, void *out)
{
  return GB_LDAP_OPT_ERROR;
}
int ldap_set_option(void *ld, int option, const void *in)
{
  return GB_LDAP_OPT_ERROR;
}
void ldap_memfree(void *p)
{
}
int ldap_url_parse(const char *url, void **desc)
{
  if (desc)
    *desc = NULL;
  return GB_LDAP_URL_ERR_BADSCHEME;
}
void ldap_free_urldesc(void *desc)
{
}
int ldap_pvt_url_scheme2proto(const char *scheme)
{
  return -1;
}
int ldap_init_fd(int fd, int proto, const char *url, void **ld)
{
  if (ld)
    *ld = NULL;
  return GB_LDAP_NOT_SUPPORTED;
}
char *ldap_err2string(int err)
{
  static char message[] = "LDAP is not supported by this build";
  return message;
}
int ldap_abandon_ext(void *ld, int msgid, void **sctrls, void **cctrls)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_msgfree(void *msg)
{
  return -1;
}
int ldap_msgtype(void *msg)
{
  return -1;
}
int ldap_parse_result(void *ld, void *res, int *errcode, char **matched_dn,
                      char **errmsg, char ***referrals, void ***sctrls,
                      int freeit)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_parse_sasl_bind_result(void *ld, void *res, void **servercred,
                                int freeit)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_result(void *ld, int msgid, int all, void *timeout, void **result)
{
  if (result)
    *result = NULL;
  return -1;
}
int ldap_sasl_bind(void *ld, const char *dn, const char *mechanism,
                   void *cred, void **sctrls, void **cctrls, int *msgid)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_search_ext(void *ld, const char *base, int scope, const char *filter,
                    char **attrs, int attrsonly, void **sctrls, void **cctrls,
                    void *timeout, int sizelimit, int *msgid)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_start_tls(void *ld, void **sctrls, void **cctrls, int *msgid)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_unbind_ext(void *ld, void **sctrls, void **cctrls)
{
  return 0;
}
int ldap_get_attribute_ber(void *ld, void *entry, void *ber, void *attr,
                           void **vals)
{
  return GB_LDAP_NOT_SUPPORTED;
}
int ldap_get_dn_ber(void *ld, void *entry, void **ber, void *dn)
{
  return GB_LDAP_NOT_SUPPORTED;
}
void ber_bvfree(void *bv)
{
}
void ber_free(void *ber, int freebuf)
{
}
void ber_memfree(void *p)
{
}
int ber_sockbuf_add_io(void *sb, void *io, int layer, void *arg)
{
  return -1;
}

/* GSS-API: every context or name operation fails with GSS_S_FAILURE
 * (libcurl then reports an authentication error); releasing is a no-op
 * that empties what it is given, as the real one does. */
typedef uint32_t gb_om_uint32;
#define GB_GSS_S_COMPLETE 0u
#define GB_GSS_S_FAILURE (13u << 16)
struct gb_gss_buffer {
  size_t length;
  void *value;
};

void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

gb_om_uint32 gss_import_name(gb_om_uint32 *minor, void *name_buffer,
                             void *name_type, void **name);
gb_om_uint32 gss_init_sec_context(gb_om_uint32 *minor, void *cred,
                                  void **context, void *target, void *mech,
                                  gb_om_uint32 req_flags,
                                  gb_om_uint32 time_req, void *bindings,
                                  void *input_token, void **actual_mech,
                                  void *output_token, gb_om_uint32 *ret_flags,
                                  gb_om_uint32 *time_rec);
gb_om_uint32 gss_delete_sec_context(gb_om_uint32 *minor, void **context,
                                    void *output_token);
gb_om_uint32 gss_display_name(gb_om_uint32 *minor, void *name, void *output,
                              void **name_type);
gb_om_uint32 gss_display_status(gb_om_uint32 *minor, gb_om_uint32 status,
                                int status_type, void *mech,
                                gb_om_uint32 *message_context, void *output);
gb_om_uint32 gss_inquire_context(gb_om_uint32 *minor, void *context,
                                 void **src_name, void **targ_name,
                                 gb_om_uint32 *lifetime, void **mech,
                                 gb_om_uint32 *flags, int *local, int *open);
gb_om_uint32 gss_release_buffer(gb_om_uint32 *minor,
                                struct gb_gss_buffer *buffer);
gb_om_uint32 gss_release_name(gb_om_uint32 *minor, void **name);
gb_om_uint32 gss_unwrap(gb_om_uint32 *minor, void *context, void *input,
                        void *output, int *conf_state, void *qop_state);
gb_om_uint32 gss_wrap(gb_om_uint32 *minor, void *context, int conf_req,
                      gb_om_uint32 qop_req, void *input, int *conf_state,
                      void *output);

static gb_om_uint32 gss_fail(gb_om_uint32 *minor)
{
  if (minor)
    *minor = 0;
  return GB_GSS_S_FAILURE;
}

gb_om_uint32 gss_import_name(gb_om_uint32 *minor, void *name_buffer,
                             void *name_type, void **name)
{
  if (name)
    *name = NULL;
  return gss_fail(minor);
}
gb_om_uint32 gss_init_sec_context(gb_om_uint32 *minor, void *cred,
                                  void **context, void *target, void *mech,
                                  gb_om_uint32 req_flags,
                                  gb_om_uint32 time_req, void *bindings,
                                  void *input_token, void **actual_mech,
                                  void *output_token, gb_om_uint32 *ret_flags,
                                  gb_om_uint32 *time_rec)
{
  return gss_fail(minor);
}
gb_om_uint32 gss_delete_sec_context(gb_om_uint32 *minor, void **context,
                                    void *output_token)
{
  if (minor)
    *minor = 0;
  if (context)
    *context = NULL;
  return GB_GSS_S_COMPLETE;
}
gb_om_uint32 gss_display_name(gb_om_uint32 *minor, void *name, void *output,
                              void **name_type)
{
  return gss_fail(minor);
}
gb_om_uint32 gss_display_status(gb_om_uint32 *minor, gb_om_uint32 status,
                                int status_type, void *mech,
                                gb_om_uint32 *message_context, void *output)
{
  if (message_context)
    *message_context = 0; /* ends the caller's message loop */
  return gss_fail(minor);
}
gb_om_uint32 gss_inquire_context(gb_om_uint32 *minor, void *context,
                                 void **src_name, void **targ_name,
                                 gb_om_uint32 *lifetime, void **mech,
                                 gb_om_uint32 *flags, int *local, int *open)
{
  return gss_fail(minor);
}
gb_om_uint32 gss_release_buffer(gb_om_uint32 *minor,
                                struct gb_gss_buffer *buffer)
{
  if (minor)
    *minor = 0;
  if (buffer) {
    buffer->length = 0;
    buffer->value = NULL;
  }
  return GB_GSS_S_COMPLETE;
}
gb_om_uint32 gss_release_name(gb_om_uint32 *minor, void **name)
{
  if (minor)
    *minor = 0;
  if (name)
    *name = NULL;
  return GB_GSS_S_COMPLETE;
}
gb_om_uint32 gss_unwrap(gb_om_uint32 *minor, void *context, void *input,
                        void *output, int *conf_state, void *qop_state)
{
  return gss_fail(minor);
}
gb_om_uint32 gss_wrap(gb_om_uint32 *minor, void *context, int conf_req,
                      gb_om_uint32 qop_req, void *input, int *conf_state,
                      void *output)
{
  return gss_fail(minor);
}
