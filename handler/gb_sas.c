#include "gb_sas.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gb_crypto.h"
#include "gb_text.h"
#include "gb_time.h"

bool gb_url_encode(const char *in, char *out, size_t cap)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t used = 0;

  for (; *in; in++) {
    unsigned char c = (unsigned char)*in;
    /* RFC 3986's unreserved characters */
    bool unreserved = gb_ascii_alnum((char)c) || (c && strchr("-._~", c));
    if (used + (unreserved ? 1 : 3) >= cap)
      return false;
    if (unreserved) {
      out[used++] = (char)c;
    } else {
      out[used++] = '%';
      out[used++] = hex[c >> 4];
      out[used++] = hex[c & 15];
    }
  }
  if (used >= cap)
    return false;
  out[used] = '\0';
  return true;
}

void gb_sas_format_expiry(int64_t ms, char out[32])
{
  int64_t days = ms / GB_MS_PER_DAY, rem = ms % GB_MS_PER_DAY, y;
  unsigned m, d;
  int hour, hour12;

  if (rem < 0) {
    rem += GB_MS_PER_DAY;
    days--;
  }
  gb_civil_from_days(days, &y, &m, &d);
  hour = (int)(rem / 3600000);
  hour12 = hour % 12 == 0 ? 12 : hour % 12;
  snprintf(out, 32, "%u/%u/%lld %d:%02d:%02d %s", m, d, (long long)y, hour12,
           (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
           hour < 12 ? "AM" : "PM");
}

bool gb_sas_token(const char *resource, const char *key_b64,
                  int64_t expiry_ms, char *out, size_t cap,
                  struct gb_error *err)
{
  unsigned char key[256], mac[32];
  char expiry[32], enc_resource[512], enc_expiry[96], signature[64];
  char enc_signature[128], unsigned_token[640];
  size_t key_len;
  int n;

  if (!gb_base64_decode(key_b64, key, sizeof(key), &key_len)) {
    OPENSSL_cleanse(key, sizeof(key));
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_KEY",
                        "EVENT_GRID_TOPIC_KEY is not a base64 access key");
  }
  gb_sas_format_expiry(expiry_ms, expiry);
  if (!gb_url_encode(resource, enc_resource, sizeof(enc_resource)) ||
      !gb_url_encode(expiry, enc_expiry, sizeof(enc_expiry))) {
    OPENSSL_cleanse(key, sizeof(key));
    return gb_error_set(err, GB_ERR_CONFIG, 0, "EVENT_GRID_TOPIC_ENDPOINT",
                        "EVENT_GRID_TOPIC_ENDPOINT is too long to sign");
  }
  n = snprintf(unsigned_token, sizeof(unsigned_token), "r=%s&e=%s",
               enc_resource, enc_expiry);
  if (n < 0 || (size_t)n >= sizeof(unsigned_token) ||
      !gb_hmac_sha256(key, key_len, unsigned_token, (size_t)n, mac) ||
      !gb_base64_encode(mac, sizeof(mac), signature, sizeof(signature)) ||
      !gb_url_encode(signature, enc_signature, sizeof(enc_signature))) {
    OPENSSL_cleanse(key, sizeof(key));
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "SAS signing failed");
  }
  OPENSSL_cleanse(key, sizeof(key));
  n = snprintf(out, cap, "%s&s=%s", unsigned_token, enc_signature);
  if (n < 0 || (size_t)n >= cap)
    return gb_error_set(err, GB_ERR_INTERNAL, 0, "", "SAS token too long");
  return true;
}
