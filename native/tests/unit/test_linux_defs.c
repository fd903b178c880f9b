/* Unit tests: namespace, capability and mount option tables (src/linux_defs.c).  */
#include "harness.h"
#include "linux_defs.h"
#include "utils.h"

#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/mount.h>

static void
test_every_capability_up_to_last_has_a_name (void)
{
  int cap;

  CHECK_INT_EQ (silo_capability_last (), CAP_LAST_CAP);
  for (cap = 0; cap <= CAP_LAST_CAP; cap++)
    {
      const char *name = silo_capability_name (cap);
      if (name == NULL)
        harness_fail (__FILE__, __LINE__, "capability %d has no name", cap);
      CHECK (name != NULL);
      CHECK (strncmp (name, "CAP_", 4) == 0);
      CHECK_INT_EQ (silo_capability_find (name), cap);
    }
  CHECK (silo_capability_name (-1) == NULL);
  CHECK (silo_capability_name (CAP_LAST_CAP + 1) == NULL);
}

static void
test_capability_numbers_match_the_kernel_header (void)
{
  CHECK_STR_EQ (silo_capability_name (CAP_CHOWN), "CAP_CHOWN");
  CHECK_STR_EQ (silo_capability_name (CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  CHECK_INT_EQ (silo_capability_find ("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
  CHECK_INT_EQ (silo_capability_find ("CAP_NOPE"), -1);
  CHECK_INT_EQ (silo_capability_find ("chown"), -1);
}

static void
test_namespaces (void)
{
  const struct silo_namespace_def *ns;

  ns = silo_namespace_find ("network");
  CHECK (ns != NULL);
  CHECK_INT_EQ (ns->clone_flag, CLONE_NEWNET);
  ns = silo_namespace_find ("mount");
  CHECK (ns != NULL);
  CHECK_INT_EQ (ns->clone_flag, CLONE_NEWNS);
  CHECK (silo_namespace_find ("net") == NULL);
  CHECK (silo_namespaces_count >= 7);
}

static void
test_mount_options (void)
{
  const struct silo_mount_option_def *opt;

  opt = silo_mount_option_find ("ro");
  CHECK (opt != NULL);
  CHECK (!opt->clear);
  CHECK_INT_EQ (opt->flags, MS_RDONLY);
  opt = silo_mount_option_find ("rw");
  CHECK (opt != NULL);
  CHECK (opt->clear);
  CHECK_INT_EQ (opt->flags, MS_RDONLY);
  opt = silo_mount_option_find ("rbind");
  CHECK (opt != NULL);
  CHECK_INT_EQ (opt->flags, MS_BIND | MS_REC);
  CHECK (silo_mount_option_find ("bogus") == NULL);
}

static void
test_tables_are_sorted_and_unique (void)
{
  size_t i;

  for (i = 1; i < silo_namespaces_count; i++)
    CHECK (strcmp (silo_namespaces[i - 1].name, silo_namespaces[i].name) < 0);
  for (i = 1; i < silo_mount_options_count; i++)
    CHECK (strcmp (silo_mount_options[i - 1].name, silo_mount_options[i].name) < 0);
}

static void
test_rlimits (void)
{
  CHECK_INT_EQ (silo_rlimit_find ("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  CHECK_INT_EQ (silo_rlimit_find ("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  CHECK_INT_EQ (silo_rlimit_find ("NOFILE"), -1);
  CHECK_STR_EQ (silo_rlimit_name (RLIMIT_CORE), "RLIMIT_CORE");
  CHECK (silo_rlimit_name (999) == NULL);
}

static void
test_signals (void)
{
  CHECK_INT_EQ (silo_signal_parse ("TERM"), SIGTERM);
  CHECK_INT_EQ (silo_signal_parse ("SIGKILL"), SIGKILL);
  CHECK_INT_EQ (silo_signal_parse ("sigusr1"), SIGUSR1);
  CHECK_INT_EQ (silo_signal_parse ("9"), 9);
  CHECK_INT_EQ (silo_signal_parse ("0"), 0);
  CHECK_INT_EQ (silo_signal_parse ("RTMIN"), SIGRTMIN);
  CHECK_INT_EQ (silo_signal_parse ("SIGRTMIN+3"), SIGRTMIN + 3);
  CHECK_INT_EQ (silo_signal_parse ("RTMAX-1"), SIGRTMAX - 1);
  CHECK_INT_EQ (silo_signal_parse ("FROB"), -1);
  CHECK_INT_EQ (silo_signal_parse ("9x"), -1);
  CHECK_INT_EQ (silo_signal_parse ("999"), -1);
  CHECK_INT_EQ (silo_signal_parse ("-1"), -1);
  CHECK_INT_EQ (silo_signal_parse (""), -1);
  CHECK_STR_EQ (silo_signal_name (SIGTERM), "SIGTERM");
  CHECK (silo_signal_name (0) == NULL);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_every_capability_up_to_last_has_a_name),
    HARNESS_TEST (test_capability_numbers_match_the_kernel_header),
    HARNESS_TEST (test_namespaces),
    HARNESS_TEST (test_mount_options),
    HARNESS_TEST (test_tables_are_sorted_and_unique),
    HARNESS_TEST (test_rlimits),
    HARNESS_TEST (test_signals),
  };
  return harness_main ("linux_defs", tests, ARRAY_SIZE (tests));
}
