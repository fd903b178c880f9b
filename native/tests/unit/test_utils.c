/* Unit tests: the error helpers and the cleanup attributes (src/utils.c).  */
#include "harness.h"
#include "utils.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>

static int
fail_with (int status, const char *what, silo_error_t *err)
{
  return silo_error_make (err, status, "cannot %s `%s`", what, "/x");
}

static void
test_error_make_sets_status_and_message (void)
{
  silo_error_t err = NULL;
  int ret = fail_with (ENOENT, "open", &err);

  CHECK_INT_EQ (ret, -ENOENT - 1);
  CHECK (err != NULL);
  CHECK_INT_EQ (err->status, ENOENT);
  CHECK_STR_EQ (err->msg, "cannot open `/x`");
  silo_error_release (&err);
  CHECK (err == NULL);
}

static void
test_error_make_without_errno_is_still_negative (void)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_error_make (&err, 0, "plain %d", 42), -1);
  CHECK_INT_EQ (err->status, 0);
  CHECK_STR_EQ (err->msg, "plain 42");
  silo_error_release (&err);
}

static void
test_error_release_is_safe_on_null (void)
{
  silo_error_t err = NULL;

  silo_error_release (&err);
  silo_error_release (&err);
  silo_error_release (NULL);
  CHECK (err == NULL);
}

static void
test_error_format_appends_strerror (void)
{
  silo_error_t err = NULL;
  cleanup_free char *with_errno = NULL;
  cleanup_free char *without = NULL;

  silo_error_make (&err, EACCES, "statfs `/sys/fs/cgroup`");
  with_errno = silo_error_format (err);
  CHECK_STR_EQ (with_errno, "statfs `/sys/fs/cgroup`: Permission denied");
  silo_error_release (&err);

  silo_error_make (&err, 0, "no errno here");
  without = silo_error_format (err);
  CHECK_STR_EQ (without, "no errno here");
  silo_error_release (&err);
}

static void
test_error_wrap_prefixes_and_keeps_status (void)
{
  silo_error_t err = NULL;

  fail_with (EPERM, "mount", &err);
  CHECK_INT_EQ (silo_error_wrap (&err, "container `%s`", "web"), -EPERM - 1);
  CHECK_INT_EQ (err->status, EPERM);
  CHECK_STR_EQ (err->msg, "container `web`: cannot mount `/x`");
  silo_error_release (&err);
}

static void
test_cleanup_close_closes_at_scope_end (void)
{
  int seen = -1;

  {
    cleanup_close int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK (fd >= 0);
    seen = fd;
  }
  errno = 0;
  CHECK_INT_EQ (fcntl (seen, F_GETFD), -1);
  CHECK_INT_EQ (errno, EBADF);
}

static void
test_cleanup_close_ignores_negative_fd_and_keeps_errno (void)
{
  {
    cleanup_close int fd = -1;
    (void) fd;
    errno = ENOSPC;
  }
  CHECK_INT_EQ (errno, ENOSPC);
}

static void
test_cleanup_free_frees_at_scope_end (void)
{
  struct mallinfo2 before, during, after;

  before = mallinfo2 ();
  {
    cleanup_free char *block = xmalloc0 (4096);
    cleanup_free char *none = NULL;
    (void) none;
    during = mallinfo2 ();
    block[0] = 1;
  }
  after = mallinfo2 ();
  /* mallinfo2 describes glibc's heap; under a sanitizer's allocator it sees nothing, and
     only test_cleanup_freep_frees_and_clears applies.  */
  if (during.uordblks >= before.uordblks + 4096)
    CHECK_INT_EQ (after.uordblks, before.uordblks);
}

static void
test_cleanup_freep_frees_and_clears (void)
{
  char *p = xmalloc0 (16);

  errno = EINTR;
  cleanup_freep (&p);
  CHECK (p == NULL);
  CHECK_INT_EQ (errno, EINTR);
}

static char *
make_owned (void)
{
  cleanup_free char *s = xstrdup ("owned");
  return steal_pointer (&s);
}

static void
test_steal_pointer_transfers_ownership (void)
{
  cleanup_free char *s = make_owned ();

  CHECK_STR_EQ (s, "owned");
}

static void
test_xasprintf_formats (void)
{
  cleanup_free char *s = NULL;

  CHECK_INT_EQ (xasprintf (&s, "%s/%d", "cpu", 7), 5);
  CHECK_STR_EQ (s, "cpu/7");
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_error_make_sets_status_and_message),
    HARNESS_TEST (test_error_make_without_errno_is_still_negative),
    HARNESS_TEST (test_error_release_is_safe_on_null),
    HARNESS_TEST (test_error_format_appends_strerror),
    HARNESS_TEST (test_error_wrap_prefixes_and_keeps_status),
    HARNESS_TEST (test_cleanup_close_closes_at_scope_end),
    HARNESS_TEST (test_cleanup_close_ignores_negative_fd_and_keeps_errno),
    HARNESS_TEST (test_cleanup_free_frees_at_scope_end),
    HARNESS_TEST (test_cleanup_freep_frees_and_clears),
    HARNESS_TEST (test_steal_pointer_transfers_ownership),
    HARNESS_TEST (test_xasprintf_formats),
  };
  return harness_main ("utils", tests, ARRAY_SIZE (tests));
}
