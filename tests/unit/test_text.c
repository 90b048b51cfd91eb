#include "gb_test.h"
#include "gb_text.h"

static void test_utf8_valid(void)
{
  CHECK(gb_utf8_valid("plain", 5));
  CHECK(gb_utf8_valid("\xC3\xA9t\xC3\xA9", 5)); /* été */
  CHECK(gb_utf8_valid("\xF0\x9F\x8E\xB2", 4));  /* U+1F3B2 */
  CHECK(!gb_utf8_valid("\xC0\x80", 2));         /* overlong NUL */
  CHECK(!gb_utf8_valid("\xE0\x80\xAF", 3));     /* overlong '/' */
  CHECK(!gb_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
  CHECK(!gb_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
  CHECK(!gb_utf8_valid("\xF5\x80\x80\x80", 4));
  CHECK(!gb_utf8_valid("\xC3", 1));  /* truncated */
  CHECK(!gb_utf8_valid("a\x80", 2)); /* stray byte */
}

static void test_printable(void)
{
  CHECK(gb_text_printable("alice@example.com"));
  CHECK(gb_text_printable("\xC3\xA9"));
  CHECK(!gb_text_printable("a\nb"));
  CHECK(!gb_text_printable("a\x7F"));
  CHECK(!gb_text_printable("a\xC2\x85")); /* NEL, C1 */
}

static void test_sanitize(void)
{
  char out[8];

  CHECK_STR(gb_text_sanitize(out, sizeof(out), "ok", 2), "ok");
  CHECK_STR(gb_text_sanitize(out, sizeof(out), "a\nb\x80", 4), "a?b?");
  /* Cut at a character boundary, never inside a sequence. */
  CHECK_STR(gb_text_sanitize(out, sizeof(out), "abcde\xC3\xA9", 7),
            "abcde\xC3\xA9");
  CHECK_STR(gb_text_sanitize(out, sizeof(out), "abcdef\xC3\xA9", 8),
            "abcdef");
  CHECK_STR(gb_text_sanitize(out, 1, "abc", 3), "");
}

static void test_ascii_classes(void)
{
  CHECK(gb_ascii_word("game-1_A", "-_"));
  CHECK(gb_ascii_word("", "-_"));
  CHECK(!gb_ascii_word("game 1", "-_"));
  CHECK(!gb_ascii_word("a.b", "-_"));
  CHECK(gb_ascii_word("a.b", "."));
  CHECK(!gb_ascii_word("\xC3\xA9", "")); /* letters are ASCII only */
  CHECK(gb_ascii_digit('7') && !gb_ascii_digit('a'));
  CHECK(gb_ascii_alpha('Z') && !gb_ascii_alpha('0'));
  CHECK(gb_ascii_alnum('q') && !gb_ascii_alnum('-'));
}

int main(void)
{
  test_utf8_valid();
  test_printable();
  test_sanitize();
  test_ascii_classes();
  return gb_test_report("text");
}
