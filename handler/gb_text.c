#include "gb_text.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
  unsigned char c = s[0];
  size_t need;
  unsigned long cp;
  size_t i;

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len < need)
    return 0;
  for (i = 1; i < need; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return need;
}

bool gb_utf8_valid(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;

  while (i < len) {
    size_t n = utf8_sequence_length(p + i, len - i);
    if (!n)
      return false;
    i += n;
  }
  return true;
}

static bool is_control(const unsigned char *p, size_t n)
{
  if (n == 1)
    return p[0] < 0x20 || p[0] == 0x7F;
  /* U+0080..U+009F are encoded as C2 80..C2 9F. */
  return n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

bool gb_text_printable(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  size_t i = 0;

  while (i < len) {
    size_t n = utf8_sequence_length(p + i, len - i);
    if (!n)
      n = 1;
    if (is_control(p + i, n))
      return false;
    i += n;
  }
  return true;
}

bool gb_ascii_word(const char *s, const char *extra)
{
  for (; *s; s++)
    if (!gb_ascii_alnum(*s) && !strchr(extra, *s))
      return false;
  return true;
}

char *gb_text_sanitize(char *dst, size_t cap, const char *src, size_t len)
{
  const unsigned char *p = (const unsigned char *)src;
  size_t i = 0, out = 0;

  if (!cap)
    return dst;
  while (i < len) {
    size_t n = utf8_sequence_length(p + i, len - i);
    if (!n || is_control(p + i, n)) {
      if (out + 1 >= cap)
        break;
      dst[out++] = '?';
      i += n ? n : 1;
      continue;
    }
    if (out + n >= cap)
      break;
    memcpy(dst + out, p + i, n);
    out += n;
    i += n;
  }
  dst[out] = '\0';
  return dst;
}
