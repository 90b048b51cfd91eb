#include "gb_crypto.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "gb_text.h"

bool gb_base64_decode(const char *in, unsigned char *out, size_t cap,
                      size_t *out_len)
{
  size_t len = strlen(in), i;
  unsigned char *buf;
  int n, pad = 0;

  if (len == 0 || len % 4 != 0)
    return false;
  for (i = 0; i < len; i++) {
    char c = in[i];
    if (c == '=') {
      if (i < len - 2)
        return false;
      pad++;
    } else if (!(gb_ascii_alnum(c) || c == '+' || c == '/') || pad) {
      return false;
    }
  }
  buf = OPENSSL_malloc(len / 4 * 3 + 1);
  if (!buf)
    return false;
  /* EVP_DecodeBlock counts padding as zero bytes: take them off. */
  n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
  if (n < 0 || (size_t)(n - pad) > cap) {
    OPENSSL_free(buf);
    return false;
  }
  memcpy(out, buf, (size_t)(n - pad));
  OPENSSL_free(buf);
  *out_len = (size_t)(n - pad);
  return n - pad > 0;
}

bool gb_base64_encode(const unsigned char *in, size_t len, char *out,
                      size_t cap)
{
  if (cap < 4 * ((len + 2) / 3) + 1)
    return false;
  EVP_EncodeBlock((unsigned char *)out, in, (int)len);
  return true;
}

bool gb_hmac_sha256(const unsigned char *key, size_t key_len, const char *msg,
                    size_t msg_len, unsigned char mac[32])
{
  unsigned int mac_len = 0;

  return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
              msg_len, mac, &mac_len) != NULL &&
         mac_len == 32;
}

bool gb_uuid_v5(const unsigned char ns[16], const char *name, char out[37])
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok;

  ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
       EVP_DigestUpdate(ctx, ns, 16) &&
       EVP_DigestUpdate(ctx, name, strlen(name)) &&
       EVP_DigestFinal_ex(ctx, digest, &digest_len) && digest_len >= 16;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return false;
  digest[6] = (unsigned char)((digest[6] & 0x0F) | 0x50); /* version 5 */
  digest[8] = (unsigned char)((digest[8] & 0x3F) | 0x80); /* RFC 4122 */
  snprintf(out, 37,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x%02x%02x%02x%02x",
           digest[0], digest[1], digest[2], digest[3], digest[4], digest[5],
           digest[6], digest[7], digest[8], digest[9], digest[10], digest[11],
           digest[12], digest[13], digest[14], digest[15]);
  return true;
}
