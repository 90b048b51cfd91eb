/* gb_text: checks and copies of untrusted text. */
#ifndef GB_TEXT_H
#define GB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool gb_utf8_valid(const char *s, size_t len);

/* True when s holds no control character (C0, DEL or C1). */
bool gb_text_printable(const char *s);

/* Copies src into dst (capacity cap, always terminated), replacing every
 * invalid UTF-8 byte and every control character with '?', and stopping at
 * a character boundary when src does not fit. Safe for logs and for
 * storage as a BSON string. Returns dst. */
char *gb_text_sanitize(char *dst, size_t cap, const char *src, size_t len);

/* ASCII character classes whatever the C locale: identifiers, names and
 * URL parts are ASCII (<ctype.h> follows the locale). */
static inline bool gb_ascii_digit(char c)
{
  return c >= '0' && c <= '9';
}

static inline bool gb_ascii_alpha(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool gb_ascii_alnum(char c)
{
  return gb_ascii_alpha(c) || gb_ascii_digit(c);
}

/* True when every character of s is an ASCII letter or digit, or one of
 * extra. */
bool gb_ascii_word(const char *s, const char *extra);

#endif
