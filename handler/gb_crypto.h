/* gb_crypto: the few primitives gridboard needs, from OpenSSL's libcrypto:
 * HMAC-SHA256 and base64 for Event Grid SAS tokens, SHA-1 for name-based
 * (version 5) UUIDs. */
#ifndef GB_CRYPTO_H
#define GB_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes standard base64 (with padding, no white space) into out, which
 * holds cap bytes, and sets *len to the decoded length. False when in is
 * not base64 (an empty string is not) or does not fit. */
bool gb_base64_decode(const char *in, unsigned char *out, size_t cap,
                      size_t *len);

/* Encodes len bytes as base64 with padding into out (capacity cap, at
 * least 4 * ((len + 2) / 3) + 1). Returns false when it does not fit. */
bool gb_base64_encode(const unsigned char *in, size_t len, char *out,
                      size_t cap);

/* HMAC-SHA256 of msg under key into mac[32]. */
bool gb_hmac_sha256(const unsigned char *key, size_t key_len, const char *msg,
                    size_t msg_len, unsigned char mac[32]);

/* The RFC 4122 version 5 UUID of name in namespace ns (16 bytes), as
 * lower-case text "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" in out[37]. */
bool gb_uuid_v5(const unsigned char ns[16], const char *name, char out[37]);

#endif
