/* Unit tests: cgroup mode detection (src/cgroup.c) against a fake statfs,
 * so every host layout can be tested on any host.  */
#include "cgroup.h"
#include "harness.h"

#include <linux/magic.h>
#include <stdio.h>
#include <string.h>

/* The fake filesystem: PATH has filesystem MAGIC, or statfs fails with ERRNO_VALUE.
   Paths that are not listed do not exist.  */
struct fake_mount
{
  const char *path;
  unsigned long magic;
  int errno_value;
};

static const struct fake_mount *fake_mounts;
static size_t fake_mounts_count;
static char fake_calls[8][256];
static size_t fake_calls_count;

static int
fake_statfs (const char *path, struct statfs *buf)
{
  size_t i;

  if (fake_calls_count < ARRAY_SIZE (fake_calls))
    snprintf (fake_calls[fake_calls_count++], sizeof (fake_calls[0]), "%s", path);

  for (i = 0; i < fake_mounts_count; i++)
    if (strcmp (fake_mounts[i].path, path) == 0)
      {
        if (fake_mounts[i].errno_value)
          {
            errno = fake_mounts[i].errno_value;
            return -1;
          }
        memset (buf, 0, sizeof (*buf));
        buf->f_type = (__fsword_t) fake_mounts[i].magic;
        return 0;
      }
  errno = ENOENT;
  return -1;
}

static const struct silo_syscalls fake_syscalls = { .statfs = fake_statfs };

#define USE_FAKE_MOUNTS(mounts) \
  do \
    { \
      fake_mounts = (mounts); \
      fake_mounts_count = ARRAY_SIZE (mounts); \
      fake_calls_count = 0; \
    } \
  while (0)

static void
test_v2_when_root_is_cgroup2 (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", CGROUP2_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_V2);
  CHECK_STR_EQ (silo_cgroup_mode_name (mode), "v2");
  /* The root alone decides: unified is not looked at.  */
  CHECK_INT_EQ (fake_calls_count, 1);
  CHECK_STR_EQ (fake_calls[0], "/fake/cgroup");
}

static void
test_hybrid_when_root_is_tmpfs_and_unified_is_cgroup2 (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", TMPFS_MAGIC, 0 },
    { "/fake/cgroup/unified", CGROUP2_SUPER_MAGIC, 0 },
    { "/fake/cgroup/memory", CGROUP_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_HYBRID);
  CHECK_STR_EQ (silo_cgroup_mode_name (mode), "hybrid");
  CHECK_INT_EQ (fake_calls_count, 2);
  CHECK_STR_EQ (fake_calls[1], "/fake/cgroup/unified");
}

static void
test_hybrid_with_trailing_slash_on_root (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup/", TMPFS_MAGIC, 0 },
    { "/fake/cgroup/unified", CGROUP2_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup/", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_HYBRID);
}

static void
test_v1_when_root_is_tmpfs_without_unified (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", TMPFS_MAGIC, 0 },
    { "/fake/cgroup/memory", CGROUP_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_V1);
  CHECK_STR_EQ (silo_cgroup_mode_name (mode), "v1");
  CHECK (err == NULL);
}

static void
test_v1_when_unified_is_not_cgroup2 (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", TMPFS_MAGIC, 0 },
    { "/fake/cgroup/unified", TMPFS_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_V1);
}

static void
test_v1_when_root_is_a_cgroup1_hierarchy (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", CGROUP_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err), 0);
  CHECK_INT_EQ (mode, SILO_CGROUP_MODE_V1);
  CHECK_INT_EQ (fake_calls_count, 1);
}

static void
test_error_when_root_is_missing (void)
{
  static const struct fake_mount mounts[] = {
    { "/elsewhere", CGROUP2_SUPER_MAGIC, 0 },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK_INT_EQ (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err),
                -ENOENT - 1);
  CHECK (err != NULL);
  CHECK_INT_EQ (err->status, ENOENT);
  CHECK_STR_EQ (err->msg, "statfs `/fake/cgroup`");
  silo_error_release (&err);
}

static void
test_error_when_unified_cannot_be_inspected (void)
{
  static const struct fake_mount mounts[] = {
    { "/fake/cgroup", TMPFS_MAGIC, 0 },
    { "/fake/cgroup/unified", 0, EACCES },
  };
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  USE_FAKE_MOUNTS (mounts);
  CHECK (silo_cgroup_detect_mode (&fake_syscalls, "/fake/cgroup", &mode, &err) < 0);
  CHECK_INT_EQ (err->status, EACCES);
  CHECK_STR_EQ (err->msg, "statfs `/fake/cgroup/unified`");
  silo_error_release (&err);
}

static void
test_real_syscalls_report_missing_root (void)
{
  silo_cgroup_mode_t mode = 0;
  silo_error_t err = NULL;

  CHECK (silo_cgroup_detect_mode (NULL, "/nonexistent/silo-test/cgroup", &mode, &err) < 0);
  CHECK_INT_EQ (err->status, ENOENT);
  silo_error_release (&err);
}

static void
test_mode_names (void)
{
  CHECK_STR_EQ (silo_cgroup_mode_name (SILO_CGROUP_MODE_V1), "v1");
  CHECK_STR_EQ (silo_cgroup_mode_name (SILO_CGROUP_MODE_HYBRID), "hybrid");
  CHECK_STR_EQ (silo_cgroup_mode_name (SILO_CGROUP_MODE_V2), "v2");
  CHECK_STR_EQ (silo_cgroup_mode_name ((silo_cgroup_mode_t) 0), "unknown");
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_v2_when_root_is_cgroup2),
    HARNESS_TEST (test_hybrid_when_root_is_tmpfs_and_unified_is_cgroup2),
    HARNESS_TEST (test_hybrid_with_trailing_slash_on_root),
    HARNESS_TEST (test_v1_when_root_is_tmpfs_without_unified),
    HARNESS_TEST (test_v1_when_unified_is_not_cgroup2),
    HARNESS_TEST (test_v1_when_root_is_a_cgroup1_hierarchy),
    HARNESS_TEST (test_error_when_root_is_missing),
    HARNESS_TEST (test_error_when_unified_cannot_be_inspected),
    HARNESS_TEST (test_real_syscalls_report_missing_root),
    HARNESS_TEST (test_mode_names),
  };
  return harness_main ("cgroup", tests, ARRAY_SIZE (tests));
}
