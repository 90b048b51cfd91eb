/* The SAS signer and its parts: base64 decoding of the key, URL encoding
 * of the resource, the expiry format. Input: key '\n' resource. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_crypto.h"
#include "gb_sas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), *resource, token[GB_SAS_TOKEN_MAX];
  unsigned char key[64];
  size_t key_len;
  struct gb_error err;
  int64_t expiry = 0;

  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  resource = strchr(text, '\n');
  if (resource)
    *resource++ = '\0';
  else
    resource = text;
  gb_base64_decode(text, key, sizeof(key), &key_len);
  if (size >= 8)
    memcpy(&expiry, data, sizeof(expiry));
  if (gb_sas_token(resource, text, expiry, token, sizeof(token), &err) &&
      strncmp(token, "r=", 2) != 0)
    __builtin_trap();
  free(text);
  return 0;
}
