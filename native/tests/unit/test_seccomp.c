/* Unit tests: seccomp filters built from the spec (src/seccomp.c).  Built and exported as
   BPF, never loaded.  */
#include "harness.h"
#include "silo_seccomp.h"
#include "spec.h"
#include "utils.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int
build_from (const char *linux_seccomp, scmp_filter_ctx *ctx, silo_error_t *err)
{
  cleanup_free char *json = NULL;
  struct silo_spec *spec = NULL;
  int ret;

  xasprintf (&json, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"x\"]}, "
                    "\"linux\": {\"seccomp\": %s}}",
             linux_seccomp);
  if (silo_spec_parse (json, &spec, err) < 0)
    return -1;
  ret = silo_seccomp_build (spec->seccomp, ctx, err);
  silo_spec_free (spec);
  return ret;
}

static long
bpf_size (scmp_filter_ctx ctx)
{
  int fd = memfd_create ("bpf", MFD_CLOEXEC);
  long size;
  if (fd < 0 || seccomp_export_bpf (ctx, fd) < 0)
    return -1;
  size = lseek (fd, 0, SEEK_END);
  close (fd);
  return size;
}

static void
test_builds_rules_with_args_errno_and_architectures (void)
{
  scmp_filter_ctx ctx = NULL;
  silo_error_t err = NULL;
  uint32_t action = 0;

  CHECK_INT_EQ (build_from ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
                            " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
                            " \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
                            " \"syscalls\": [{\"names\": [\"read\", \"write\", \"not_a_syscall\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                            "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
                            "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                            "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
                            "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}",
                            &ctx, &err),
                0);
  CHECK (ctx != NULL);
  CHECK_INT_EQ (seccomp_attr_get (ctx, SCMP_FLTATR_ACT_DEFAULT, &action), 0);
  CHECK_INT_EQ (action, SCMP_ACT_ERRNO (38));
  CHECK_INT_EQ (seccomp_arch_exist (ctx, SCMP_ARCH_X86), 0);
  CHECK_INT_EQ (seccomp_arch_exist (ctx, SCMP_ARCH_X32), 0);
  CHECK (bpf_size (ctx) > 0);
  seccomp_release (ctx);
}

static void
test_default_errno_is_eperm (void)
{
  scmp_filter_ctx ctx = NULL;
  silo_error_t err = NULL;
  uint32_t action = 0;

  CHECK_INT_EQ (build_from ("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", &ctx, &err), 0);
  CHECK_INT_EQ (seccomp_attr_get (ctx, SCMP_FLTATR_ACT_DEFAULT, &action), 0);
  CHECK_INT_EQ (action, SCMP_ACT_ERRNO (EPERM));
  /* libseccomp must not set no_new_privs on its own: the spec decides.  */
  CHECK_INT_EQ (seccomp_attr_get (ctx, SCMP_FLTATR_CTL_NNP, &action), 0);
  CHECK_INT_EQ (action, 0);
  seccomp_release (ctx);
}

static void
test_kill_and_log_actions (void)
{
  scmp_filter_ctx ctx = NULL;
  silo_error_t err = NULL;

  CHECK_INT_EQ (build_from ("{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": ["
                            "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\"},"
                            "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_TRAP\"},"
                            "{\"names\": [\"exit\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                            &ctx, &err),
                0);
  seccomp_release (ctx);
}

static void
test_unknown_architecture_is_an_error (void)
{
  scmp_filter_ctx ctx = NULL;
  silo_error_t err = NULL;

  CHECK (build_from ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}", &ctx, &err) < 0);
  CHECK (strstr (err->msg, "unknown architecture `SCMP_ARCH_VAX`") != NULL);
  silo_error_release (&err);
  CHECK (ctx == NULL);
}

static void
test_features_tables_are_terminated (void)
{
  size_t n = 0;
  while (silo_seccomp_actions[n])
    n++;
  CHECK (n >= 8);
  n = 0;
  while (silo_seccomp_architectures[n])
    n++;
  CHECK (n >= 3);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_builds_rules_with_args_errno_and_architectures),
    HARNESS_TEST (test_default_errno_is_eperm),
    HARNESS_TEST (test_kill_and_log_actions),
    HARNESS_TEST (test_unknown_architecture_is_an_error),
    HARNESS_TEST (test_features_tables_are_terminated),
  };
  return harness_main ("seccomp", tests, ARRAY_SIZE (tests));
}
