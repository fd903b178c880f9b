/* A tiny unit-test harness: each test runs in its own child process (so a
 * crash fails only that test) and is reported as a TAP line, "ok N - name"
 * or "not ok N - name", which tests/run-tests.sh counts.
 *
 *     static void test_something (void) { CHECK_INT_EQ (1 + 1, 2); }
 *     int main (void) {
 *       static const struct harness_test tests[] = { HARNESS_TEST (test_something) };
 *       return harness_main ("suite", tests, ARRAY_SIZE (tests));
 *     }
 *
 * A failed CHECK prints a "#" diagnostic and returns from the test function.  */
#ifndef SILO_TEST_HARNESS_H
#define SILO_TEST_HARNESS_H

#include <stddef.h>
#include <string.h>

struct harness_test
{
  const char *name;
  void (*fn) (void);
};

#define HARNESS_TEST(fn) { #fn, fn }

int harness_main (const char *suite, const struct harness_test *tests, size_t count);

void harness_fail (const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define CHECK(cond) \
  do \
    { \
      if (!(cond)) \
        { \
          harness_fail (__FILE__, __LINE__, "CHECK (%s)", #cond); \
          return; \
        } \
    } \
  while (0)

#define CHECK_INT_EQ(actual, expected) \
  do \
    { \
      long long actual_ = (long long) (actual); \
      long long expected_ = (long long) (expected); \
      if (actual_ != expected_) \
        { \
          harness_fail (__FILE__, __LINE__, "%s is %lld, expected %s (%lld)", #actual, actual_, \
                        #expected, expected_); \
          return; \
        } \
    } \
  while (0)

#define CHECK_STR_EQ(actual, expected) \
  do \
    { \
      const char *actual_ = (actual); \
      const char *expected_ = (expected); \
      if (actual_ == NULL || expected_ == NULL ? actual_ != expected_ \
                                               : strcmp (actual_, expected_) != 0) \
        { \
          harness_fail (__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #actual, \
                        actual_ ? actual_ : "(null)", expected_ ? expected_ : "(null)"); \
          return; \
        } \
    } \
  while (0)

#endif
