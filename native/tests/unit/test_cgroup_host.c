/* Container cgroups (src/cgroup.c) on this machine's real cgroup tree.
 *
 * Without arguments: TAP tests (skipped unless root on a host with cgroups), each of which makes
 * /silo-test-PID-N/... and removes it, even when a check fails.
 * With arguments: a small command-line driver for tests/behaviour/test_cgroup.sh:
 *   test_cgroup_host mode
 *   test_cgroup_host create PATH PID [memory=N swap=N reservation=N quota=N period=N shares=N
 *                                     pids=N cpus=S mems=S]
 *   test_cgroup_host enter PATH PID | destroy PATH | stats PATH | oom-file PATH
 * ($SILO_CGROUP_ROOT overrides /sys/fs/cgroup.)  Errors: message on stderr, exit 1.  */
#include "cgroup.h"
#include "harness.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static const char *
cgroup_root (void)
{
  const char *r = getenv ("SILO_CGROUP_ROOT");
  return r && *r ? r : SILO_CGROUP_ROOT;
}

static int
die (silo_error_t *err)
{
  char *msg = silo_error_format (*err);
  fprintf (stderr, "test_cgroup_host: %s\n", msg);
  free (msg);
  silo_error_release (err);
  return 1;
}

static int
tool (int argc, char **argv)
{
  silo_cgroup_mode_t mode;
  silo_error_t err = NULL;
  const char *cmd = argv[1];
  int i;

  if (silo_cgroup_detect_mode (NULL, cgroup_root (), &mode, &err) < 0)
    return die (&err);
  if (strcmp (cmd, "mode") == 0)
    {
      printf ("%s\n", silo_cgroup_mode_name (mode));
      return 0;
    }
  if (argc < 3)
    goto usage;
  if (strcmp (cmd, "create") == 0 && argc >= 4)
    {
      struct silo_cgroup_resources res;
      silo_cgroup_resources_init (&res);
      for (i = 4; i < argc; i++)
        {
          char *eq = strchr (argv[i], '=');
          if (eq == NULL)
            goto usage;
          *eq++ = '\0';
          if (strcmp (argv[i], "memory") == 0)
            res.memory_limit = strtoll (eq, NULL, 10);
          else if (strcmp (argv[i], "swap") == 0)
            res.memory_swap = strtoll (eq, NULL, 10);
          else if (strcmp (argv[i], "reservation") == 0)
            res.memory_reservation = strtoll (eq, NULL, 10);
          else if (strcmp (argv[i], "quota") == 0)
            res.cpu_quota = strtoll (eq, NULL, 10);
          else if (strcmp (argv[i], "period") == 0)
            res.cpu_period = strtoull (eq, NULL, 10);
          else if (strcmp (argv[i], "shares") == 0)
            res.cpu_shares = strtoull (eq, NULL, 10);
          else if (strcmp (argv[i], "pids") == 0)
            res.pids_limit = strtoll (eq, NULL, 10);
          else if (strcmp (argv[i], "cpus") == 0)
            res.cpuset_cpus = eq;
          else if (strcmp (argv[i], "mems") == 0)
            res.cpuset_mems = eq;
          else
            goto usage;
        }
      if (silo_cgroup_create (NULL, cgroup_root (), mode, argv[2], &res, atoi (argv[3]), &err) < 0)
        return die (&err);
      return 0;
    }
  if (strcmp (cmd, "enter") == 0 && argc == 4)
    {
      if (silo_cgroup_enter (NULL, cgroup_root (), mode, argv[2], atoi (argv[3]), &err) < 0)
        return die (&err);
      return 0;
    }
  if (strcmp (cmd, "destroy") == 0 && argc == 3)
    {
      if (silo_cgroup_destroy (NULL, cgroup_root (), mode, argv[2], &err) < 0)
        return die (&err);
      return 0;
    }
  if (strcmp (cmd, "stats") == 0 && argc == 3)
    {
      struct silo_cgroup_stats st;
      if (silo_cgroup_read_stats (NULL, cgroup_root (), mode, argv[2], &st, &err) < 0)
        return die (&err);
      printf ("cpu_usage_ns=%llu\nmemory_usage=%llu\nmemory_limit=%lld\npids_current=%llu\n"
              "pids_limit=%lld\noom_kill=%llu\n",
              (unsigned long long) st.cpu_usage_ns, (unsigned long long) st.memory_usage,
              (long long) st.memory_limit, (unsigned long long) st.pids_current,
              (long long) st.pids_limit, (unsigned long long) st.oom_kill);
      return 0;
    }
  if (strcmp (cmd, "oom-file") == 0 && argc == 3)
    {
      char *p = silo_cgroup_oom_file (cgroup_root (), mode, argv[2]);
      printf ("%s\n", p);
      free (p);
      return 0;
    }
usage:
  fprintf (stderr, "usage: test_cgroup_host mode | create PATH PID [K=V...] | enter PATH PID | "
                   "destroy PATH | stats PATH | oom-file PATH\n");
  return 2;
}

/* ---- TAP tests on the real host ---- */

static silo_cgroup_mode_t host_mode;
static char test_path[256];
static char test_top[128];

static bool
host_usable (void)
{
  silo_error_t err = NULL;
  if (geteuid () != 0)
    return false;
  if (silo_cgroup_detect_mode (NULL, cgroup_root (), &host_mode, &err) < 0)
    {
      silo_error_release (&err);
      return false;
    }
  return true;
}

static bool
dir_exists (const char *fmt, const char *a, const char *b)
{
  char path[512];
  struct stat st;
  snprintf (path, sizeof (path), fmt, a, b);
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* Does /proc/PID/cgroup have a line "N:CONTROLLERS:PATH" whose controllers include WHICH ("" for
   the unified line)?  */
static bool
proc_in_cgroup (pid_t pid, const char *which, const char *path)
{
  char file[64], line[512];
  bool found = false;
  FILE *f;

  snprintf (file, sizeof (file), "/proc/%d/cgroup", (int) pid);
  f = fopen (file, "r");
  if (f == NULL)
    return false;
  while (fgets (line, sizeof (line), f))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      line[strcspn (line, "\n")] = '\0';
      c2[1 + strcspn (c2 + 1, "\n")] = '\0';
      bool match = which[0] == '\0' ? c1[1] == '\0' : false;
      if (which[0])
        {
          char *save = NULL, *tok;
          for (tok = strtok_r (c1 + 1, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            if (strcmp (tok, which) == 0)
              match = true;
        }
      if (match && strcmp (c2 + 1, path) == 0)
        found = true;
    }
  fclose (f);
  return found;
}

/* A child that execs `sleep 60` once a byte arrives on *GO (so its memory is charged to the
   cgroup it was moved to meanwhile).  */
static pid_t
spawn_sleeper (int *go)
{
  int fds[2];
  pid_t pid;
  char c;

  if (pipe (fds) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      close (fds[1]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (read (fds[0], &c, 1) != 1)
        _exit (1);
      execlp ("sleep", "sleep", "60", (char *) NULL);
      _exit (127);
    }
  close (fds[0]);
  *go = fds[1];
  return pid;
}

static void
cleanup_host (void)
{
  silo_error_t err = NULL;
  if (silo_cgroup_destroy (NULL, cgroup_root (), host_mode, test_path, &err) < 0)
    silo_error_release (&err);
  if (silo_cgroup_destroy (NULL, cgroup_root (), host_mode, test_top, &err) < 0)
    silo_error_release (&err);
}

#define HOST_TEST(name) \
  static void name##_body (void); \
  static void name (void) \
  { \
    static int n; \
    if (!host_usable ()) \
      { \
        printf ("# skipped: not root, or no cgroups\n"); \
        return; \
      } \
    snprintf (test_top, sizeof (test_top), "/silo-test-%d-%d", (int) getpid (), ++n); \
    snprintf (test_path, sizeof (test_path), "%s/x", test_top); \
    name##_body (); \
    cleanup_host (); \
  } \
  static void name##_body (void)

HOST_TEST (test_host_round_trip_places_the_process_and_removes_everything)
{
  struct silo_cgroup_resources res;
  struct silo_cgroup_stats st;
  silo_error_t err = NULL;
  int status, go = -1, i;
  pid_t child = spawn_sleeper (&go);

  CHECK (child > 0);
  silo_cgroup_resources_init (&res);
  res.memory_limit = 64 << 20;
  res.pids_limit = 20;
  res.cpu_quota = 50000;
  res.cpu_period = 100000;
  CHECK_INT_EQ (silo_cgroup_create (NULL, cgroup_root (), host_mode, test_path, &res, child, &err), 0);
  if (host_mode == SILO_CGROUP_MODE_V2)
    CHECK (proc_in_cgroup (child, "", test_path));
  else
    {
      CHECK (proc_in_cgroup (child, "memory", test_path));
      CHECK (proc_in_cgroup (child, "pids", test_path));
      CHECK (proc_in_cgroup (child, "cpu", test_path));
      CHECK (proc_in_cgroup (child, "cpuset", test_path));
      CHECK (proc_in_cgroup (child, "freezer", test_path));
      if (host_mode == SILO_CGROUP_MODE_HYBRID)
        CHECK (proc_in_cgroup (child, "", test_path));
    }
  CHECK_INT_EQ (write (go, "x", 1), 1);
  close (go);
  for (i = 0; i < 200; i++) /* until it has exec'd sleep */
    {
      char exe[64], target[256] = "";
      struct timespec ts = { 0, 5 * 1000000L };
      snprintf (exe, sizeof (exe), "/proc/%d/exe", (int) child);
      if (readlink (exe, target, sizeof (target) - 1) > 0 && strstr (target, "sleep"))
        break;
      nanosleep (&ts, NULL);
    }
  CHECK_INT_EQ (silo_cgroup_read_stats (NULL, cgroup_root (), host_mode, test_path, &st, &err), 0);
  printf ("# stats: cpu %llu ns, memory %llu bytes, pids %llu\n", (unsigned long long) st.cpu_usage_ns,
          (unsigned long long) st.memory_usage, (unsigned long long) st.pids_current);
  CHECK_INT_EQ (st.memory_limit, 64 << 20);
  CHECK_INT_EQ (st.pids_limit, 20);
  CHECK_INT_EQ (st.pids_current, 1);
  CHECK (st.memory_usage > 0);

  CHECK_INT_EQ (silo_cgroup_destroy (NULL, cgroup_root (), host_mode, test_path, &err), 0);
  CHECK_INT_EQ (waitpid (child, &status, 0), child);
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  if (host_mode == SILO_CGROUP_MODE_V2)
    CHECK (!dir_exists ("%s%s", cgroup_root (), test_top));
  else
    {
      CHECK (!dir_exists ("%s/memory%s", cgroup_root (), test_top));
      CHECK (!dir_exists ("%s/cpuset%s", cgroup_root (), test_top));
      CHECK (!dir_exists ("%s/pids%s", cgroup_root (), test_top));
      CHECK (!dir_exists ("%s/freezer%s", cgroup_root (), test_top));
      CHECK (!dir_exists ("%s/cpu%s", cgroup_root (), test_top));
      CHECK (!dir_exists ("%s/unified%s", cgroup_root (), test_top));
    }
}

/* A shell that forks as fast as it can: destroy must still end with an empty, removed cgroup.  */
HOST_TEST (test_host_destroy_beats_a_fork_bomb)
{
  struct silo_cgroup_resources res;
  struct silo_cgroup_stats st;
  silo_error_t err = NULL;
  int pipefd[2], status, i;
  pid_t child;
  char c;

  CHECK_INT_EQ (pipe (pipefd), 0);
  child = fork ();
  if (child == 0)
    {
      close (pipefd[1]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (read (pipefd[0], &c, 1) != 1) /* wait until placed */
        _exit (1);
      execlp ("sh", "sh", "-c", "while :; do (sleep 30 &) ; done", (char *) NULL);
      _exit (127);
    }
  close (pipefd[0]);
  silo_cgroup_resources_init (&res);
  res.pids_limit = 64;
  CHECK_INT_EQ (silo_cgroup_create (NULL, cgroup_root (), host_mode, test_path, &res, child, &err), 0);
  CHECK_INT_EQ (write (pipefd[1], "x", 1), 1);
  close (pipefd[1]);
  for (i = 0; i < 100; i++)
    {
      struct timespec ts = { 0, 20 * 1000000L };
      CHECK_INT_EQ (silo_cgroup_read_stats (NULL, cgroup_root (), host_mode, test_path, &st, &err), 0);
      if (st.pids_current >= 10)
        break;
      nanosleep (&ts, NULL);
    }
  printf ("# fork bomb reached %llu processes\n", (unsigned long long) st.pids_current);
  CHECK (st.pids_current >= 10);
  CHECK_INT_EQ (silo_cgroup_destroy (NULL, cgroup_root (), host_mode, test_path, &err), 0);
  CHECK_INT_EQ (waitpid (child, &status, 0), child);
  CHECK (!dir_exists ("%s/pids%s", cgroup_root (), test_top));
  CHECK (!dir_exists ("%s%s", cgroup_root (), test_top));
}

HOST_TEST (test_host_bad_path_and_unwritable_value_leave_nothing)
{
  struct silo_cgroup_resources res;
  silo_error_t err = NULL;

  CHECK (silo_cgroup_create (NULL, cgroup_root (), host_mode, "/silo-test/../x", NULL, 0, &err) < 0);
  CHECK_INT_EQ (err->status, EINVAL);
  silo_error_release (&err);

  /* The kernel refuses a cpuset the machine does not have.  */
  silo_cgroup_resources_init (&res);
  res.memory_limit = 64 << 20;
  res.cpuset_cpus = (char *) "4000-4001";
  CHECK (silo_cgroup_create (NULL, cgroup_root (), host_mode, test_path, &res, 0, &err) < 0);
  CHECK (strstr (err->msg, "cpuset.cpus") != NULL);
  silo_error_release (&err);
  CHECK (!dir_exists ("%s/memory%s", cgroup_root (), test_top));
  CHECK (!dir_exists ("%s/cpuset%s", cgroup_root (), test_top));
  CHECK (!dir_exists ("%s%s", cgroup_root (), test_top));
}

/* The v2 code on a real cgroup2 filesystem: on a hybrid host, ROOT/unified is one (without
   controllers, so no limits): placement, cgroup.kill and removal are the kernel's.  */
HOST_TEST (test_host_v2_code_on_the_unified_hierarchy)
{
  struct silo_cgroup_resources res;
  cleanup_free char *unified = NULL;
  silo_error_t err = NULL;
  int status, go = -1;
  pid_t child;

  if (host_mode != SILO_CGROUP_MODE_HYBRID)
    {
      printf ("# skipped: not a hybrid host\n");
      return;
    }
  xasprintf (&unified, "%s/unified", cgroup_root ());
  child = spawn_sleeper (&go);
  CHECK (child > 0);
  CHECK_INT_EQ (silo_cgroup_create (NULL, unified, SILO_CGROUP_MODE_V2, test_path, NULL, child, &err), 0);
  CHECK (proc_in_cgroup (child, "", test_path));
  CHECK (!proc_in_cgroup (child, "memory", test_path));
  CHECK_INT_EQ (silo_cgroup_enter (NULL, unified, SILO_CGROUP_MODE_V2, test_path, child, &err), 0);

  /* No memory controller there: a memory limit is refused before anything is made.  */
  silo_cgroup_resources_init (&res);
  res.memory_limit = 1 << 24;
  CHECK (silo_cgroup_create (NULL, unified, SILO_CGROUP_MODE_V2, "/silo-test-v2-refused/y", &res, 0, &err) < 0);
  CHECK_INT_EQ (err->status, ENOTSUP);
  silo_error_release (&err);
  CHECK (!dir_exists ("%s%s", unified, "/silo-test-v2-refused"));

  CHECK_INT_EQ (silo_cgroup_destroy (NULL, unified, SILO_CGROUP_MODE_V2, test_path, &err), 0);
  CHECK_INT_EQ (waitpid (child, &status, 0), child);
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  CHECK (!dir_exists ("%s%s", unified, test_top));
  close (go);
}

int
main (int argc, char **argv)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_host_round_trip_places_the_process_and_removes_everything),
    HARNESS_TEST (test_host_destroy_beats_a_fork_bomb),
    HARNESS_TEST (test_host_bad_path_and_unwritable_value_leave_nothing),
    HARNESS_TEST (test_host_v2_code_on_the_unified_hierarchy),
  };
  if (argc > 1)
    return tool (argc, argv);
  return harness_main ("cgroup_host", tests, ARRAY_SIZE (tests));
}
