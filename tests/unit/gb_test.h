/* A minimal assert kit for gridboard's unit tests: each failed check
 * prints file:line, the function and the values, and the test binary
 * exits non-zero when any check failed. */
#ifndef GB_TEST_H
#define GB_TEST_H

#include <stdio.h>
#include <string.h>

static int gb_test_checks;
static int gb_test_failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    gb_test_checks++;                                                        \
    if (!(cond)) {                                                           \
      gb_test_failures++;                                                    \
      fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,   \
              __func__, #cond);                                              \
    }                                                                        \
  } while (0)

#define CHECK_INT(actual, expected)                                          \
  do {                                                                       \
    long long a_ = (long long)(actual), e_ = (long long)(expected);          \
    gb_test_checks++;                                                        \
    if (a_ != e_) {                                                          \
      gb_test_failures++;                                                    \
      fprintf(stderr, "%s:%d: %s: %s is %lld, expected %lld\n", __FILE__,    \
              __LINE__, __func__, #actual, a_, e_);                          \
    }                                                                        \
  } while (0)

#define CHECK_STR(actual, expected)                                          \
  do {                                                                       \
    const char *a_ = (actual), *e_ = (expected);                             \
    gb_test_checks++;                                                        \
    if (!a_ || strcmp(a_, e_) != 0) {                                        \
      gb_test_failures++;                                                    \
      fprintf(stderr, "%s:%d: %s: %s is \"%s\", expected \"%s\"\n",          \
              __FILE__, __LINE__, __func__, #actual, a_ ? a_ : "(null)",     \
              e_);                                                           \
    }                                                                        \
  } while (0)

static inline int gb_test_report(const char *suite)
{
  printf("%s: %d checks, %d passed, %d failed\n", suite, gb_test_checks,
         gb_test_checks - gb_test_failures, gb_test_failures);
  return gb_test_failures ? 1 : 0;
}

#endif
