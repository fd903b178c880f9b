/* Unit tests: container cgroups (src/cgroup.c) on a fake cgroupfs.
 *
 * The fake is a temporary directory used as the cgroup root.  Its mkdir plays the kernel: it
 * creates the control files a new cgroup of that hierarchy has; its rmdir removes them again and
 * refuses (EBUSY) while child cgroups exist; its kill records the signal and takes the pid out of
 * every cgroup.procs, as the process's exit would.  */
#include "cgroup.h"
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[256];
static silo_cgroup_mode_t fake_mode;
static const char *broken_file;   /* created as a directory, so it cannot be written */
static bool with_cgroup_kill = true;
static bool with_memsw = true;

static char kills[16][32];
static size_t kills_count;
static char removed[32][512];     /* "PATH" of each fake rmdir, plus recorded file contents */
static size_t removed_count;
static char last_cgroup_kill[16];
static char last_freezer_state[16];

/* ---- small file helpers ---- */

static void
put (const char *path, const char *content)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      perror (path);
      abort ();
    }
  fputs (content, f);
  fclose (f);
}

static void
putf (const char *dir, const char *name, const char *content)
{
  char path[1024];
  snprintf (path, sizeof (path), "%s/%s", dir, name);
  if (broken_file && strcmp (name, broken_file) == 0)
    {
      mkdir (path, 0755);
      return;
    }
  put (path, content);
}

/* Contents of ROOT/REL (static buffer, trailing newline removed), or "<missing>".  */
static const char *
get (const char *rel)
{
  static char bufs[4][4096];
  static int which;
  char path[1024];
  char *buf = bufs[which++ % 4];
  FILE *f;
  size_t n;

  snprintf (path, sizeof (path), "%s/%s", root, rel);
  f = fopen (path, "r");
  if (f == NULL)
    return "<missing>";
  n = fread (buf, 1, sizeof (bufs[0]) - 1, f);
  fclose (f);
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return buf;
}

static bool
exists (const char *rel)
{
  char path[1024];
  snprintf (path, sizeof (path), "%s/%s", root, rel);
  return access (path, F_OK) == 0;
}

static void
mkdir_rel (const char *rel)
{
  char path[1024];
  snprintf (path, sizeof (path), "%s/%s", root, rel);
  if (mkdir (path, 0755) < 0)
    {
      perror (path);
      abort ();
    }
}

static void
put_rel (const char *rel, const char *content)
{
  char path[1024];
  snprintf (path, sizeof (path), "%s/%s", root, rel);
  put (path, content);
}

/* ---- the fake kernel ---- */

/* The control files of a new cgroup at PATH.  */
static void
populate (const char *path)
{
  const char *rel = path + strlen (root) + 1;

  putf (path, "cgroup.procs", "");
  if (fake_mode == SILO_CGROUP_MODE_V2 || strncmp (rel, "unified/", 8) == 0)
    {
      char parent[1024], controllers[256] = "";
      const char *slash = strrchr (path, '/');
      size_t i, j = 0;
      FILE *f;

      /* A child offers what its parent enabled for it.  */
      snprintf (parent, sizeof (parent), "%.*s/cgroup.subtree_control", (int) (slash - path), path);
      if ((f = fopen (parent, "r")) != NULL)
        {
          size_t n = fread (controllers, 1, sizeof (controllers) - 1, f);
          fclose (f);
          controllers[n] = '\0';
          for (i = 0; i < n; i++)
            if (controllers[i] != '+')
              controllers[j++] = controllers[i];
          controllers[j] = '\0';
        }
      putf (path, "cgroup.controllers", controllers);
      putf (path, "cgroup.subtree_control", "");
      putf (path, "cgroup.freeze", "0");
      if (with_cgroup_kill)
        putf (path, "cgroup.kill", "");
      if (fake_mode != SILO_CGROUP_MODE_V2)
        return;
      putf (path, "memory.max", "max");
      putf (path, "memory.swap.max", "max");
      putf (path, "memory.low", "0");
      putf (path, "memory.current", "0");
      putf (path, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
      putf (path, "cpu.max", "max 100000");
      putf (path, "cpu.weight", "100");
      putf (path, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
      putf (path, "pids.max", "max");
      putf (path, "pids.current", "0");
      putf (path, "cpuset.cpus", "");
      putf (path, "cpuset.mems", "");
      return;
    }
  putf (path, "tasks", "");
  if (strncmp (rel, "memory/", 7) == 0)
    {
      putf (path, "memory.limit_in_bytes", "9223372036854771712");
      if (with_memsw)
        putf (path, "memory.memsw.limit_in_bytes", "9223372036854771712");
      putf (path, "memory.soft_limit_in_bytes", "9223372036854771712");
      putf (path, "memory.usage_in_bytes", "0");
      putf (path, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    }
  else if (strncmp (rel, "cpuacct/", 8) == 0)
    putf (path, "cpuacct.usage", "0");
  else if (strncmp (rel, "devices/", 8) == 0)
    {
      putf (path, "devices.deny", "");
      putf (path, "devices.allow", "");
    }
  else if (strncmp (rel, "cpu,cpuacct/", 12) == 0 || strncmp (rel, "cpu/", 4) == 0)
    {
      putf (path, "cpu.cfs_period_us", "100000");
      putf (path, "cpu.cfs_quota_us", "-1");
      putf (path, "cpu.shares", "1024");
      putf (path, "cpuacct.usage", "0");
    }
  else if (strncmp (rel, "cpuset/", 7) == 0)
    {
      putf (path, "cpuset.cpus", "");
      putf (path, "cpuset.mems", "");
    }
  else if (strncmp (rel, "pids/", 5) == 0)
    {
      putf (path, "pids.max", "max");
      putf (path, "pids.current", "0");
    }
  else if (strncmp (rel, "freezer/", 8) == 0)
    putf (path, "freezer.state", "THAWED");
}

static int
fake_mkdir (const char *path, mode_t mode)
{
  if (strncmp (path, root, strlen (root)) != 0)
    {
      errno = EPERM; /* never outside the fake root */
      return -1;
    }
  if (mkdir (path, mode) < 0)
    return -1;
  populate (path);
  return 0;
}

static int
unlink_file (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  if (flag == FTW_F)
    unlink (path);
  return 0;
}

static int
fake_rmdir (const char *path)
{
  char sub[1024];
  struct stat st;
  DIR *d;
  struct dirent *de;
  FILE *f;

  if (strncmp (path, root, strlen (root)) != 0)
    {
      errno = EPERM;
      return -1;
    }
  if (stat (path, &st) < 0)
    return -1;
  d = opendir (path);
  if (d == NULL)
    return -1;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      snprintf (sub, sizeof (sub), "%s/%s", path, de->d_name);
      if (stat (sub, &st) == 0 && S_ISDIR (st.st_mode)
          && !(broken_file && strcmp (de->d_name, broken_file) == 0))
        {
          closedir (d);
          errno = EBUSY;
          return -1;
        }
    }
  closedir (d);
  snprintf (sub, sizeof (sub), "%s/cgroup.procs", path);
  f = fopen (sub, "r");
  if (f)
    {
      int c = fgetc (f);
      fclose (f);
      if (c != EOF)
        {
          errno = EBUSY;
          return -1;
        }
    }
  snprintf (sub, sizeof (sub), "%s/cgroup.kill", path);
  if ((f = fopen (sub, "r")) != NULL)
    {
      char buf[16];
      size_t n = fread (buf, 1, sizeof (buf) - 1, f);
      buf[n] = '\0';
      if (n)
        memcpy (last_cgroup_kill, buf, n + 1);
      fclose (f);
    }
  snprintf (sub, sizeof (sub), "%s/freezer.state", path);
  if ((f = fopen (sub, "r")) != NULL)
    {
      size_t n = fread (last_freezer_state, 1, sizeof (last_freezer_state) - 1, f);
      last_freezer_state[n] = '\0';
      fclose (f);
    }
  nftw (path, unlink_file, 8, FTW_PHYS | FTW_DEPTH);
  if (broken_file)
    {
      snprintf (sub, sizeof (sub), "%s/%s", path, broken_file);
      rmdir (sub);
    }
  if (rmdir (path) < 0)
    return -1;
  if (removed_count < ARRAY_SIZE (removed))
    snprintf (removed[removed_count++], sizeof (removed[0]), "%s", path + strlen (root));
  return 0;
}

static pid_t killed_pid;

static int
drop_pid (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  char buf[4096], out[4096], *line, *save = NULL;
  size_t len = 0;
  FILE *f;
  size_t n;

  (void) st;
  if (flag != FTW_F || strcmp (path + ftw->base, "cgroup.procs") != 0)
    return 0;
  f = fopen (path, "r");
  n = fread (buf, 1, sizeof (buf) - 1, f);
  fclose (f);
  buf[n] = '\0';
  out[0] = '\0';
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (atoi (line) != killed_pid)
      len += (size_t) snprintf (out + len, sizeof (out) - len, "%s\n", line);
  put (path, out);
  return 0;
}

static int
fake_kill (pid_t pid, int sig)
{
  if (kills_count < ARRAY_SIZE (kills))
    snprintf (kills[kills_count++], sizeof (kills[0]), "%d/%d", (int) pid, sig);
  if (sig == SIGKILL)
    {
      killed_pid = pid;
      nftw (root, drop_pid, 8, FTW_PHYS);
    }
  return 0;
}

static int
fake_statfs (const char *path, struct statfs *buf)
{
  (void) path;
  (void) buf;
  errno = ENOSYS;
  return -1;
}

static const struct silo_syscalls fake_sys = {
  .statfs = fake_statfs,
  .mkdir = fake_mkdir,
  .rmdir = fake_rmdir,
  .kill = fake_kill,
};

static int
rm_any (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  if (flag == FTW_DP)
    rmdir (path);
  else
    unlink (path);
  return 0;
}

static void
setup_root (silo_cgroup_mode_t mode)
{
  snprintf (root, sizeof (root), "%s/silo-cgfs.XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
  if (mkdtemp (root) == NULL)
    abort ();
  fake_mode = mode;
  if (mode == SILO_CGROUP_MODE_V2)
    {
      put_rel ("cgroup.controllers", "cpuset cpu io memory pids\n");
      put_rel ("cgroup.subtree_control", "");
      put_rel ("cgroup.procs", "1\n");
      return;
    }
  mkdir_rel ("cpu,cpuacct");
  {
    char link[1024];
    snprintf (link, sizeof (link), "%s/cpu", root);
    if (symlink ("cpu,cpuacct", link) < 0)
      abort ();
    snprintf (link, sizeof (link), "%s/cpuacct", root);
    if (symlink ("cpu,cpuacct", link) < 0)
      abort ();
  }
  mkdir_rel ("cpuset");
  put_rel ("cpuset/cpuset.cpus", "0-3\n");
  put_rel ("cpuset/cpuset.mems", "0\n");
  mkdir_rel ("memory");
  mkdir_rel ("pids");
  mkdir_rel ("freezer");
  mkdir_rel ("devices");
  const char *const hier[] = { "cpu,cpuacct", "cpuset", "memory", "pids", "freezer", "devices" };
  for (size_t i = 0; i < ARRAY_SIZE (hier); i++)
    {
      char rel[64];
      snprintf (rel, sizeof (rel), "%s/cgroup.procs", hier[i]);
      put_rel (rel, "1\n");
    }
  if (mode == SILO_CGROUP_MODE_HYBRID)
    {
      mkdir_rel ("unified");
      put_rel ("unified/cgroup.controllers", "");
      put_rel ("unified/cgroup.subtree_control", "");
      put_rel ("unified/cgroup.procs", "1\n");
    }
}

static void
teardown_root (void)
{
  if (root[0])
    nftw (root, rm_any, 16, FTW_PHYS | FTW_DEPTH);
  root[0] = '\0';
}

/* A test with a fresh fake root of MODE, removed afterwards even if a CHECK fails.  */
#define FS_TEST(name, mode) \
  static void name##_body (void); \
  static void name (void) \
  { \
    setup_root (mode); \
    name##_body (); \
    teardown_root (); \
  } \
  static void name##_body (void)

static struct silo_cgroup_resources
full_resources (void)
{
  struct silo_cgroup_resources res;
  silo_cgroup_resources_init (&res);
  res.memory_limit = 64 << 20;
  res.memory_swap = 96 << 20;
  res.memory_reservation = 32 << 20;
  res.cpu_quota = 50000;
  res.cpu_period = 100000;
  res.cpu_shares = 512;
  res.pids_limit = 100;
  res.cpuset_cpus = (char *) "0-1";
  res.cpuset_mems = (char *) "0";
  return res;
}

/* ---- v2 ---- */

FS_TEST (test_v2_create_writes_limits_and_enables_controllers, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &res, 4242, &err), 0);
  CHECK_STR_EQ (get ("cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids");
  CHECK_STR_EQ (get ("silo/cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids");
  CHECK_STR_EQ (get ("silo/abc/cgroup.subtree_control"), "");
  CHECK_STR_EQ (get ("silo/abc/memory.max"), "67108864");
  CHECK_STR_EQ (get ("silo/abc/memory.swap.max"), "33554432");
  CHECK_STR_EQ (get ("silo/abc/memory.low"), "33554432");
  CHECK_STR_EQ (get ("silo/abc/cpu.max"), "50000 100000");
  CHECK_STR_EQ (get ("silo/abc/cpu.weight"), "20");
  CHECK_STR_EQ (get ("silo/abc/pids.max"), "100");
  CHECK_STR_EQ (get ("silo/abc/cpuset.cpus"), "0-1");
  CHECK_STR_EQ (get ("silo/abc/cpuset.mems"), "0");
  CHECK_STR_EQ (get ("silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("silo/cgroup.procs"), "");
}

FS_TEST (test_v2_create_without_limits_touches_no_limit_file, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/a", NULL, 0, &err), 0);
  CHECK_STR_EQ (get ("a/memory.max"), "max");
  CHECK_STR_EQ (get ("a/cpu.max"), "max 100000");
  CHECK_STR_EQ (get ("a/pids.max"), "max");
  CHECK_STR_EQ (get ("a/cgroup.procs"), "");
  /* Controllers are enabled anyway, so stats work.  */
  CHECK_STR_EQ (get ("cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids");
}

FS_TEST (test_v2_cpu_max_with_quota_or_period_alone, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res;
  silo_error_t err = NULL;

  silo_cgroup_resources_init (&res);
  res.cpu_quota = 20000;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/q", &res, 0, &err), 0);
  CHECK_STR_EQ (get ("q/cpu.max"), "20000");

  silo_cgroup_resources_init (&res);
  res.cpu_period = 50000;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/p", &res, 0, &err), 0);
  CHECK_STR_EQ (get ("p/cpu.max"), "max 50000");
}

FS_TEST (test_v2_skips_enabled_and_unavailable_controllers, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res;
  silo_error_t err = NULL;

  put_rel ("cgroup.controllers", "cpu memory pids\n");
  put_rel ("cgroup.subtree_control", "memory\n");
  silo_cgroup_resources_init (&res);
  res.memory_limit = 1 << 20;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/x", &res, 0, &err), 0);
  CHECK_STR_EQ (get ("cgroup.subtree_control"), "+cpu +pids");
}

FS_TEST (test_v2_missing_controller_needed_by_a_limit_fails_cleanly, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res;
  silo_error_t err = NULL;

  put_rel ("cgroup.controllers", "cpu pids\n");
  silo_cgroup_resources_init (&res);
  res.memory_limit = 1 << 20;
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &res, 0, &err) < 0);
  CHECK_INT_EQ (err->status, ENOTSUP);
  CHECK (strstr (err->msg, "`memory` is not available") != NULL);
  CHECK (!exists ("silo"));
  silo_error_release (&err);
}

FS_TEST (test_v2_unwritable_file_removes_what_was_created, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/existing", NULL, 0, &err), 0);
  broken_file = "pids.max";
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/existing/silo/abc", &res, 77, &err) < 0);
  CHECK_INT_EQ (err->status, EISDIR);
  CHECK (strstr (err->msg, "pids.max") != NULL);
  CHECK (strstr (err->msg, "cgroup `/existing/silo/abc`") != NULL);
  CHECK (!exists ("existing/silo"));
  CHECK (exists ("existing")); /* not ours: kept */
  CHECK_INT_EQ (removed_count, 2);
  CHECK_STR_EQ (removed[0], "/existing/silo/abc");
  CHECK_STR_EQ (removed[1], "/existing/silo");
  silo_error_release (&err);
}

FS_TEST (test_v2_failed_enter_removes_what_was_created, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  broken_file = "cgroup.procs";
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", NULL, 77, &err) < 0);
  CHECK (strstr (err->msg, "move process 77 into cgroup") != NULL);
  CHECK (!exists ("silo"));
  silo_error_release (&err);
}

FS_TEST (test_invalid_paths_are_rejected, SILO_CGROUP_MODE_V2)
{
  static const char *const bad[] = { "", "silo/abc", "/", "/silo/", "/silo//abc", "/silo/../abc",
                                     "/silo/./abc", "/..", "/./x" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (bad); i++)
    {
      silo_error_t err = NULL;
      CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, bad[i], NULL, 0, &err) < 0);
      CHECK_INT_EQ (err->status, EINVAL);
      CHECK (strstr (err->msg, "invalid cgroups path") != NULL);
      silo_error_release (&err);
      CHECK (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V2, bad[i], &err) < 0);
      CHECK_INT_EQ (err->status, EINVAL);
      silo_error_release (&err);
      CHECK (silo_cgroup_enter (&fake_sys, root, SILO_CGROUP_MODE_V2, bad[i], 1, &err) < 0);
      CHECK_INT_EQ (err->status, EINVAL);
      silo_error_release (&err);
    }
  CHECK_INT_EQ (removed_count, 0);
  CHECK_INT_EQ (kills_count, 0);
  CHECK (!exists ("silo"));
}

FS_TEST (test_invalid_swap_is_rejected_before_anything_is_made, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_resources res;
  silo_error_t err = NULL;

  silo_cgroup_resources_init (&res);
  res.memory_swap = 1 << 20;
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/s", &res, 0, &err) < 0);
  CHECK_INT_EQ (err->status, EINVAL);
  silo_error_release (&err);
  res.memory_limit = 2 << 20;
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/s", &res, 0, &err) < 0);
  CHECK_INT_EQ (err->status, EINVAL);
  CHECK (strstr (err->msg, "lower than the memory limit") != NULL);
  silo_error_release (&err);
  res.cpu_shares = 1;
  res.memory_swap = -1;
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/s", &res, 0, &err) < 0);
  CHECK_INT_EQ (err->status, EINVAL);
  silo_error_release (&err);
  CHECK (!exists ("s"));
}

static void
test_shares_to_weight (void)
{
  CHECK_INT_EQ (silo_cgroup_shares_to_weight (0), 0);
  CHECK_INT_EQ (silo_cgroup_shares_to_weight (2), 1);
  CHECK_INT_EQ (silo_cgroup_shares_to_weight (1024), 39);
  CHECK_INT_EQ (silo_cgroup_shares_to_weight (262144), 10000);
}

FS_TEST (test_v2_destroy_uses_cgroup_kill_and_removes_empty_ancestors, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", NULL, 0, &err), 0);
  put_rel ("silo/abc/cgroup.procs", "100\n200\n");
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &err), 0);
  CHECK_STR_EQ (last_cgroup_kill, "1");
  /* The fake kernel does not act on cgroup.kill, so the per-pid kill finished the job.  */
  CHECK_INT_EQ (kills_count, 2);
  CHECK_STR_EQ (kills[0], "100/9");
  CHECK_STR_EQ (kills[1], "200/9");
  CHECK (!exists ("silo"));
  CHECK (exists ("cgroup.procs"));
}

FS_TEST (test_v2_destroy_without_cgroup_kill_kills_each_pid_and_keeps_shared_parent, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  with_cgroup_kill = false;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", NULL, 0, &err), 0);
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/other", NULL, 0, &err), 0);
  put_rel ("silo/abc/cgroup.procs", "300\n");
  put_rel ("silo/other/cgroup.procs", "999\n");
  CHECK (!exists ("silo/abc/cgroup.kill"));
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &err), 0);
  CHECK_INT_EQ (kills_count, 1);
  CHECK_STR_EQ (kills[0], "300/9");
  CHECK (!exists ("silo/abc"));
  CHECK (exists ("silo/other"));
  CHECK_STR_EQ (get ("silo/other/cgroup.procs"), "999");
}

FS_TEST (test_v2_destroy_removes_nested_cgroups, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", NULL, 0, &err), 0);
  CHECK_INT_EQ (fake_mkdir (strcat (strcpy ((char[512]){ 0 }, root), "/silo/abc/inner"), 0755), 0);
  put_rel ("silo/abc/inner/cgroup.procs", "555\n");
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &err), 0);
  CHECK_INT_EQ (kills_count, 1);
  CHECK_STR_EQ (kills[0], "555/9");
  CHECK (!exists ("silo"));
}

FS_TEST (test_destroy_of_missing_cgroup_is_not_an_error, SILO_CGROUP_MODE_V2)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V2, "/nothing/here", &err), 0);
  CHECK (err == NULL);
  CHECK_INT_EQ (removed_count, 0);
}

FS_TEST (test_v2_enter_and_stats, SILO_CGROUP_MODE_V2)
{
  struct silo_cgroup_stats st;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", NULL, 0, &err), 0);
  CHECK_INT_EQ (silo_cgroup_enter (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", 31, &err), 0);
  CHECK_STR_EQ (get ("silo/abc/cgroup.procs"), "31");
  CHECK (silo_cgroup_enter (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/nope", 31, &err) < 0);
  CHECK_INT_EQ (err->status, ENOENT);
  silo_error_release (&err);

  put_rel ("silo/abc/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  put_rel ("silo/abc/memory.current", "4096\n");
  put_rel ("silo/abc/memory.max", "8192\n");
  put_rel ("silo/abc/pids.current", "3\n");
  put_rel ("silo/abc/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
  CHECK_INT_EQ (silo_cgroup_read_stats (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/abc", &st, &err), 0);
  CHECK_INT_EQ (st.cpu_usage_ns, 1500000);
  CHECK_INT_EQ (st.memory_usage, 4096);
  CHECK_INT_EQ (st.memory_limit, 8192);
  CHECK_INT_EQ (st.pids_current, 3);
  CHECK_INT_EQ (st.pids_limit, -1);
  CHECK_INT_EQ (st.oom_kill, 2);

  CHECK (silo_cgroup_read_stats (&fake_sys, root, SILO_CGROUP_MODE_V2, "/silo/gone", &st, &err) < 0);
  CHECK_INT_EQ (err->status, ENOENT);
  silo_error_release (&err);
}

/* ---- v1 and hybrid ---- */

FS_TEST (test_v1_create_writes_limits_in_each_hierarchy, SILO_CGROUP_MODE_V1)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  res.devices_restrict = 1;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/silo/abc", &res, 4242, &err), 0);
  CHECK_STR_EQ (get ("memory/silo/abc/memory.limit_in_bytes"), "67108864");
  CHECK_STR_EQ (get ("memory/silo/abc/memory.memsw.limit_in_bytes"), "100663296");
  CHECK_STR_EQ (get ("memory/silo/abc/memory.soft_limit_in_bytes"), "33554432");
  CHECK_STR_EQ (get ("cpu,cpuacct/silo/abc/cpu.cfs_period_us"), "100000");
  CHECK_STR_EQ (get ("cpu,cpuacct/silo/abc/cpu.cfs_quota_us"), "50000");
  CHECK_STR_EQ (get ("cpu,cpuacct/silo/abc/cpu.shares"), "512");
  CHECK_STR_EQ (get ("pids/silo/abc/pids.max"), "100");
  /* cpuset: the intermediate level copies its parent, the leaf gets what was asked.  */
  CHECK_STR_EQ (get ("cpuset/silo/cpuset.cpus"), "0-3");
  CHECK_STR_EQ (get ("cpuset/silo/cpuset.mems"), "0");
  CHECK_STR_EQ (get ("cpuset/silo/abc/cpuset.cpus"), "0-1");
  CHECK_STR_EQ (get ("cpuset/silo/abc/cpuset.mems"), "0");
  /* Every hierarchy Silo uses, co-mounted cpu,cpuacct once; devices denies all, then allows the
     default devices (the fake file keeps the last rule written).  */
  CHECK_STR_EQ (get ("devices/silo/abc/devices.deny"), "a");
  CHECK_STR_EQ (get ("devices/silo/abc/devices.allow"), "c 10:200 rwm");
  CHECK_STR_EQ (get ("devices/silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("memory/silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("cpu,cpuacct/silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("cpuset/silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("pids/silo/abc/cgroup.procs"), "4242");
  CHECK_STR_EQ (get ("freezer/silo/abc/cgroup.procs"), "4242");
  CHECK (!exists ("unified"));
  CHECK (!exists ("cpu,cpuacct/silo/abc/silo"));
}

FS_TEST (test_v1_without_memsw_skips_swap, SILO_CGROUP_MODE_V1)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  with_memsw = false;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/a", &res, 0, &err), 0);
  CHECK_STR_EQ (get ("memory/a/memory.limit_in_bytes"), "67108864");
  CHECK (!exists ("memory/a/memory.memsw.limit_in_bytes"));
}

FS_TEST (test_v1_cpuset_is_inherited_without_request, SILO_CGROUP_MODE_V1)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/a/b/c", NULL, 1234, &err), 0);
  CHECK_STR_EQ (get ("cpuset/a/b/c/cpuset.cpus"), "0-3");
  CHECK_STR_EQ (get ("cpuset/a/b/c/cpuset.mems"), "0");
  CHECK_STR_EQ (get ("memory/a/b/c/memory.limit_in_bytes"), "9223372036854771712");
}

FS_TEST (test_v1_separate_cpu_and_cpuacct_hierarchies, SILO_CGROUP_MODE_V1)
{
  struct silo_cgroup_resources res;
  char path[1024];
  silo_error_t err = NULL;

  /* Replace the co-mounted layout by two separate hierarchies.  */
  snprintf (path, sizeof (path), "%s/cpu", root);
  unlink (path);
  snprintf (path, sizeof (path), "%s/cpuacct", root);
  unlink (path);
  mkdir_rel ("cpu");
  mkdir_rel ("cpuacct");
  silo_cgroup_resources_init (&res);
  res.cpu_shares = 256;
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/a", &res, 9, &err), 0);
  CHECK (exists ("cpu/a"));
  CHECK (exists ("cpuacct/a"));
  CHECK_STR_EQ (get ("cpuacct/a/cgroup.procs"), "9");
  CHECK_STR_EQ (get ("cpu/a/cgroup.procs"), "9");
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V1, "/a", &err), 0);
  CHECK (!exists ("cpu/a"));
  CHECK (!exists ("cpuacct/a"));
}

FS_TEST (test_v1_unwritable_file_removes_every_hierarchy, SILO_CGROUP_MODE_V1)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  broken_file = "pids.max";
  CHECK (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/silo/abc", &res, 0, &err) < 0);
  CHECK (strstr (err->msg, "pids/silo/abc/pids.max") != NULL);
  CHECK (!exists ("memory/silo"));
  CHECK (!exists ("cpu,cpuacct/silo"));
  CHECK (!exists ("cpuset/silo"));
  CHECK (!exists ("pids/silo"));
  CHECK (!exists ("freezer/silo"));
  silo_error_release (&err);
}

FS_TEST (test_v1_destroy_freezes_kills_thaws_and_removes, SILO_CGROUP_MODE_V1)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/silo/abc", NULL, 0, &err), 0);
  put_rel ("memory/silo/abc/cgroup.procs", "10\n11\n");
  put_rel ("freezer/silo/abc/cgroup.procs", "10\n11\n");
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_V1, "/silo/abc", &err), 0);
  CHECK_INT_EQ (kills_count, 2);
  CHECK_STR_EQ (last_freezer_state, "THAWED");
  CHECK (!exists ("memory/silo"));
  CHECK (!exists ("freezer/silo"));
  CHECK (!exists ("cpuset/silo"));
  CHECK (!exists ("cpu,cpuacct/silo"));
  CHECK (!exists ("pids/silo"));
}

FS_TEST (test_v1_stats, SILO_CGROUP_MODE_V1)
{
  struct silo_cgroup_stats st;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_V1, "/s", NULL, 0, &err), 0);
  put_rel ("cpu,cpuacct/s/cpuacct.usage", "123456789\n");
  put_rel ("memory/s/memory.usage_in_bytes", "8192\n");
  put_rel ("memory/s/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
  put_rel ("pids/s/pids.current", "4\n");
  put_rel ("pids/s/pids.max", "50\n");
  CHECK_INT_EQ (silo_cgroup_read_stats (&fake_sys, root, SILO_CGROUP_MODE_V1, "/s", &st, &err), 0);
  CHECK_INT_EQ (st.cpu_usage_ns, 123456789);
  CHECK_INT_EQ (st.memory_usage, 8192);
  CHECK_INT_EQ (st.memory_limit, -1);
  CHECK_INT_EQ (st.pids_current, 4);
  CHECK_INT_EQ (st.pids_limit, 50);
  CHECK_INT_EQ (st.oom_kill, 5);
}

FS_TEST (test_hybrid_also_places_the_process_in_the_unified_tree, SILO_CGROUP_MODE_HYBRID)
{
  struct silo_cgroup_resources res = full_resources ();
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_HYBRID, "/silo/abc", &res, 77, &err), 0);
  CHECK_STR_EQ (get ("memory/silo/abc/memory.limit_in_bytes"), "67108864");
  CHECK_STR_EQ (get ("unified/silo/abc/cgroup.procs"), "77");
  CHECK_STR_EQ (get ("unified/cgroup.subtree_control"), ""); /* no controllers there */
  CHECK (!exists ("unified/silo/abc/memory.max"));
  put_rel ("unified/silo/abc/cgroup.procs", "77\n");
  put_rel ("memory/silo/abc/cgroup.procs", "77\n");
  CHECK_INT_EQ (silo_cgroup_destroy (&fake_sys, root, SILO_CGROUP_MODE_HYBRID, "/silo/abc", &err), 0);
  CHECK_INT_EQ (kills_count, 1);
  CHECK (!exists ("unified/silo"));
  CHECK (!exists ("memory/silo"));
}

FS_TEST (test_hybrid_tolerates_a_failing_unified_tree, SILO_CGROUP_MODE_HYBRID)
{
  silo_error_t err = NULL;

  mkdir_rel ("unified/silo");
  put_rel ("unified/silo/abc", "not a directory\n");
  CHECK_INT_EQ (silo_cgroup_create (&fake_sys, root, SILO_CGROUP_MODE_HYBRID, "/silo/abc", NULL, 5, &err), 0);
  CHECK (err == NULL);
  CHECK_STR_EQ (get ("memory/silo/abc/cgroup.procs"), "5");
}

static void
test_oom_file (void)
{
  char *p;

  p = silo_cgroup_oom_file ("/sys/fs/cgroup", SILO_CGROUP_MODE_V2, "/silo/abc");
  CHECK_STR_EQ (p, "/sys/fs/cgroup/silo/abc/memory.events");
  free (p);
  p = silo_cgroup_oom_file ("/sys/fs/cgroup/", SILO_CGROUP_MODE_HYBRID, "/silo/abc");
  CHECK_STR_EQ (p, "/sys/fs/cgroup/memory/silo/abc/memory.oom_control");
  free (p);
  p = silo_cgroup_oom_file ("/sys/fs/cgroup", SILO_CGROUP_MODE_V1, "/x");
  CHECK_STR_EQ (p, "/sys/fs/cgroup/memory/x/memory.oom_control");
  free (p);
}

static void
test_resources_init_leaves_everything_unset (void)
{
  struct silo_cgroup_resources res;
  memset (&res, 0x5a, sizeof (res));
  silo_cgroup_resources_init (&res);
  CHECK_INT_EQ (res.memory_limit, -1);
  CHECK_INT_EQ (res.memory_swap, -1);
  CHECK_INT_EQ (res.memory_reservation, -1);
  CHECK_INT_EQ (res.cpu_quota, -1);
  CHECK_INT_EQ (res.cpu_period, 0);
  CHECK_INT_EQ (res.cpu_shares, 0);
  CHECK_INT_EQ (res.pids_limit, -1);
  CHECK (res.cpuset_cpus == NULL);
  CHECK (res.cpuset_mems == NULL);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_v2_create_writes_limits_and_enables_controllers),
    HARNESS_TEST (test_v2_create_without_limits_touches_no_limit_file),
    HARNESS_TEST (test_v2_cpu_max_with_quota_or_period_alone),
    HARNESS_TEST (test_v2_skips_enabled_and_unavailable_controllers),
    HARNESS_TEST (test_v2_missing_controller_needed_by_a_limit_fails_cleanly),
    HARNESS_TEST (test_v2_unwritable_file_removes_what_was_created),
    HARNESS_TEST (test_v2_failed_enter_removes_what_was_created),
    HARNESS_TEST (test_invalid_paths_are_rejected),
    HARNESS_TEST (test_invalid_swap_is_rejected_before_anything_is_made),
    HARNESS_TEST (test_shares_to_weight),
    HARNESS_TEST (test_v2_destroy_uses_cgroup_kill_and_removes_empty_ancestors),
    HARNESS_TEST (test_v2_destroy_without_cgroup_kill_kills_each_pid_and_keeps_shared_parent),
    HARNESS_TEST (test_v2_destroy_removes_nested_cgroups),
    HARNESS_TEST (test_destroy_of_missing_cgroup_is_not_an_error),
    HARNESS_TEST (test_v2_enter_and_stats),
    HARNESS_TEST (test_v1_create_writes_limits_in_each_hierarchy),
    HARNESS_TEST (test_v1_without_memsw_skips_swap),
    HARNESS_TEST (test_v1_cpuset_is_inherited_without_request),
    HARNESS_TEST (test_v1_separate_cpu_and_cpuacct_hierarchies),
    HARNESS_TEST (test_v1_unwritable_file_removes_every_hierarchy),
    HARNESS_TEST (test_v1_destroy_freezes_kills_thaws_and_removes),
    HARNESS_TEST (test_v1_stats),
    HARNESS_TEST (test_hybrid_also_places_the_process_in_the_unified_tree),
    HARNESS_TEST (test_hybrid_tolerates_a_failing_unified_tree),
    HARNESS_TEST (test_oom_file),
    HARNESS_TEST (test_resources_init_leaves_everything_unset),
  };
  return harness_main ("cgroup_fs", tests, ARRAY_SIZE (tests));
}
