#include <stdint.h>
#include <stdlib.h>

#include "gb_dynbuf.h"
#include "gb_test.h"

struct item {
  int64_t n;
  char tag[3];
};

static bool push_n(struct gb_dynbuf *a, int64_t n, struct gb_error *err)
{
  struct item it = {.n = n, .tag = "ab"};

  return gb_dynbuf_push(a, &it, err);
}

static void test_init(void)
{
  struct gb_dynbuf a;

  gb_dynbuf_init(&a, sizeof(struct item), 10);
  CHECK(a.items == NULL);
  CHECK_INT(a.count, 0);
  CHECK_INT(a.cap, 0);
  CHECK_INT(a.max, 10);
  CHECK_INT(a.elem_size, sizeof(struct item));
  CHECK(gb_dynbuf_at(&a, 0) == NULL);
  gb_dynbuf_free(&a);
}

static void test_growth(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  size_t caps[8], steps = 0;
  bool ok = true;

  /* Doubling from 16, stopped at the maximum. */
  gb_dynbuf_init(&a, sizeof(struct item), 100);
  for (int64_t i = 0; i < 100 && ok; i++) {
    size_t cap = a.cap;

    ok = push_n(&a, i, &err);
    if (a.cap != cap && steps < 8)
      caps[steps++] = a.cap;
  }
  CHECK(ok);
  CHECK_INT(err.kind, GB_ERR_NONE);
  CHECK_INT(a.count, 100);
  CHECK_INT(steps, 4);
  CHECK_INT(caps[0], 16);
  CHECK_INT(caps[1], 32);
  CHECK_INT(caps[2], 64);
  CHECK_INT(caps[3], 100);
  for (size_t i = 0; i < a.count; i++) {
    const struct item *it = gb_dynbuf_at(&a, i);
    if (!it || it->n != (int64_t)i || strcmp(it->tag, "ab") != 0) {
      CHECK(!"element kept");
      break;
    }
  }
  CHECK(gb_dynbuf_at(&a, 100) == NULL);
  gb_dynbuf_free(&a);
}

static void test_grow_zeroed(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  struct item *first;

  gb_dynbuf_init(&a, sizeof(struct item), 50);
  first = gb_dynbuf_grow(&a, 20, &err);
  CHECK(first != NULL);
  CHECK_INT(a.count, 20);
  CHECK(a.cap >= 20 && a.cap <= 50);
  CHECK(first == a.items);
  CHECK_INT(first[19].n, 0);
  first[5].n = 7;
  /* Room dropped and grown again is zeroed again. */
  gb_dynbuf_truncate(&a, 5);
  CHECK_INT(a.count, 5);
  first = gb_dynbuf_grow(&a, 1, &err);
  CHECK(first != NULL && first->n == 0);
  CHECK_INT(a.count, 6);
  gb_dynbuf_truncate(&a, 100); /* never lengthens */
  CHECK_INT(a.count, 6);
  gb_dynbuf_free(&a);
}

static void test_max_refused(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  const struct item *it;

  gb_dynbuf_init(&a, sizeof(struct item), 5);
  for (int64_t i = 0; i < 5; i++)
    CHECK(push_n(&a, i, &err));
  CHECK_INT(a.cap, 5); /* the first allocation is cut to the maximum */
  CHECK(!push_n(&a, 5, &err));
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  CHECK_STR(err.message, "more than 5 entries");
  /* Refused, the array is as it was. */
  CHECK_INT(a.count, 5);
  it = gb_dynbuf_at(&a, 4);
  CHECK(it && it->n == 4);

  gb_error_clear(&err);
  gb_dynbuf_truncate(&a, 3);
  CHECK(gb_dynbuf_grow(&a, 3, &err) == NULL);
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  CHECK_INT(a.count, 3);
  CHECK(gb_dynbuf_grow(&a, 2, &err) != NULL);
  CHECK_INT(a.count, 5);

  /* A count that would wrap size_t is over the maximum, not a small
   * allocation. */
  gb_error_clear(&err);
  CHECK(gb_dynbuf_grow(&a, SIZE_MAX, &err) == NULL);
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  CHECK_INT(a.count, 5);

  /* err may be NULL. */
  CHECK(!push_n(&a, 9, NULL));
  gb_dynbuf_free(&a);
}

static void test_reset(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  void *items;
  size_t cap;
  const struct item *it;

  gb_dynbuf_init(&a, sizeof(struct item), 40);
  for (int64_t i = 0; i < 20; i++)
    CHECK(push_n(&a, i, &err));
  items = a.items;
  cap = a.cap;
  gb_dynbuf_reset(&a);
  CHECK_INT(a.count, 0);
  CHECK(gb_dynbuf_at(&a, 0) == NULL);
  /* The allocation stays for the next use. */
  CHECK(a.items == items);
  CHECK_INT(a.cap, cap);
  CHECK(push_n(&a, 42, &err));
  it = gb_dynbuf_at(&a, 0);
  CHECK(it && it->n == 42);
  CHECK(a.items == items);
  /* The maximum counts from the reset. */
  for (int64_t i = 1; i < 40; i++)
    CHECK(push_n(&a, i, &err));
  CHECK(!push_n(&a, 40, &err));
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  gb_dynbuf_free(&a);
}

static void test_free(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  const struct item *it;

  gb_dynbuf_init(&a, sizeof(struct item), 8);
  CHECK(push_n(&a, 1, &err));
  gb_dynbuf_free(&a);
  CHECK(a.items == NULL);
  CHECK_INT(a.count, 0);
  CHECK_INT(a.cap, 0);
  CHECK_INT(a.max, 8);
  CHECK_INT(a.elem_size, sizeof(struct item));
  gb_dynbuf_free(&a); /* twice is harmless */
  /* Reusable after a free. */
  CHECK(push_n(&a, 2, &err));
  it = gb_dynbuf_at(&a, 0);
  CHECK(it && it->n == 2);
  gb_dynbuf_free(&a);
}

static void test_take(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};
  struct item *taken;
  size_t count = 99;

  gb_dynbuf_init(&a, sizeof(struct item), 8);
  CHECK(gb_dynbuf_take(&a, &count) == NULL);
  CHECK_INT(count, 0);
  for (int64_t i = 0; i < 3; i++)
    CHECK(push_n(&a, i, &err));
  taken = gb_dynbuf_take(&a, &count);
  CHECK(taken != NULL);
  CHECK_INT(count, 3);
  CHECK(taken && taken[2].n == 2);
  CHECK(a.items == NULL);
  CHECK_INT(a.count, 0);
  CHECK_INT(a.cap, 0);
  free(taken);
  CHECK(push_n(&a, 5, &err)); /* the array goes on, empty */
  CHECK_INT(a.count, 1);
  gb_dynbuf_free(&a);
}

static void test_zero_sizes(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};

  /* A maximum of 0 refuses every element and allocates nothing. */
  gb_dynbuf_init(&a, sizeof(struct item), 0);
  CHECK(!push_n(&a, 1, &err));
  CHECK_INT(err.kind, GB_ERR_TOO_LARGE);
  CHECK(a.items == NULL);
  CHECK_INT(a.cap, 0);
  gb_dynbuf_reset(&a);
  gb_dynbuf_free(&a);

  /* Growing by nothing, or by elements of no size, is a caller's bug. */
  gb_dynbuf_init(&a, sizeof(struct item), 4);
  gb_error_clear(&err);
  CHECK(gb_dynbuf_grow(&a, 0, &err) == NULL);
  CHECK_INT(err.kind, GB_ERR_INTERNAL);
  CHECK_INT(a.count, 0);
  gb_dynbuf_free(&a);

  gb_dynbuf_init(&a, 0, 4);
  gb_error_clear(&err);
  CHECK(gb_dynbuf_grow(&a, 1, &err) == NULL);
  CHECK_INT(err.kind, GB_ERR_INTERNAL);
  CHECK(a.items == NULL);
  CHECK_INT(a.count, 0);
  gb_dynbuf_free(&a);
}

/* No allocation failure can be injected (the tests have no allocator
 * hook), but a size no allocation can have takes the same path without
 * calling realloc. */
static void test_unallocatable(void)
{
  struct gb_dynbuf a;
  struct gb_error err = {0};

  gb_dynbuf_init(&a, SIZE_MAX / 2 + 1, 4);
  CHECK(gb_dynbuf_grow(&a, 1, &err) == NULL);
  CHECK_INT(err.kind, GB_ERR_NOMEM);
  CHECK_STR(err.message, "out of memory");
  CHECK(a.items == NULL);
  CHECK_INT(a.count, 0);
  CHECK_INT(a.cap, 0);
  gb_dynbuf_free(&a);
}

int main(void)
{
  test_init();
  test_growth();
  test_grow_zeroed();
  test_max_refused();
  test_reset();
  test_free();
  test_take();
  test_zero_sizes();
  test_unallocatable();
  return gb_test_report("dynbuf");
}
