/* silo-runtime: cgroup hierarchy detection, and the container's cgroup (create, enter, destroy,
 * stats) on cgroup v1, hybrid and v2 hosts.
 *
 * A "hierarchy" below is the root directory of one mounted cgroup tree: ROOT itself on v2, each
 * controller's ROOT/NAME on v1 (cpu and cpuacct may be co-mounted: the directories are resolved and
 * deduplicated), plus ROOT/unified on hybrid hosts (no controllers there; tolerated if it fails).  */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int
fs_magic (const struct silo_syscalls *sys, const char *path, unsigned long *magic)
{
  struct statfs buf;

  memset (&buf, 0, sizeof (buf));
  if (sys->statfs (path, &buf) < 0)
    return -1;
  *magic = (unsigned long) buf.f_type;
  return 0;
}

int
silo_cgroup_detect_mode (const struct silo_syscalls *sys, const char *cgroup_root,
                         silo_cgroup_mode_t *mode, silo_error_t *err)
{
  cleanup_free char *unified = NULL;
  unsigned long magic = 0;
  size_t len;

  sys = silo_syscalls_or_real (sys);

  if (fs_magic (sys, cgroup_root, &magic) < 0)
    return silo_error_make (err, errno, "statfs `%s`", cgroup_root);

  if (magic == CGROUP2_SUPER_MAGIC)
    {
      *mode = SILO_CGROUP_MODE_V2;
      return 0;
    }

  *mode = SILO_CGROUP_MODE_V1;
  if (magic != TMPFS_MAGIC)
    return 0;

  len = strlen (cgroup_root);
  while (len > 1 && cgroup_root[len - 1] == '/')
    len--;
  xasprintf (&unified, "%.*s/unified", (int) len, cgroup_root);

  if (fs_magic (sys, unified, &magic) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return silo_error_make (err, errno, "statfs `%s`", unified);
    }
  if (magic == CGROUP2_SUPER_MAGIC)
    *mode = SILO_CGROUP_MODE_HYBRID;
  return 0;
}

const char *
silo_cgroup_mode_name (silo_cgroup_mode_t mode)
{
  switch (mode)
    {
    case SILO_CGROUP_MODE_V1:
      return "v1";
    case SILO_CGROUP_MODE_HYBRID:
      return "hybrid";
    case SILO_CGROUP_MODE_V2:
      return "v2";
    }
  return "unknown";
}

void
silo_cgroup_resources_init (struct silo_cgroup_resources *res)
{
  memset (res, 0, sizeof (*res));
  res->memory_limit = -1;
  res->memory_swap = -1;
  res->memory_reservation = -1;
  res->cpu_quota = -1;
  res->cpu_period = 0;
  res->cpu_shares = 0;
  res->pids_limit = -1;
  res->cpuset_cpus = NULL;
  res->cpuset_mems = NULL;
}

/* ---- Paths ---- */

#define MAX_DEPTH 32

/* A validated cgroups path: "/a/b/c" with the offsets just past each component.  */
struct cg_path
{
  const char *path;
  size_t depth;
  size_t ends[MAX_DEPTH];
};

static int
parse_path (const char *path, struct cg_path *out, silo_error_t *err)
{
  const char *p;

  if (path == NULL || path[0] != '/')
    return silo_error_make (err, EINVAL, "invalid cgroups path `%s`: it must be absolute",
                            path ? path : "(null)");
  out->path = path;
  out->depth = 0;
  p = path;
  while (*p == '/')
    {
      const char *start = p + 1;
      const char *end = strchrnul (start, '/');
      size_t len = (size_t) (end - start);

      if (len == 0)
        return silo_error_make (err, EINVAL, "invalid cgroups path `%s`: empty component", path);
      if ((len == 1 && start[0] == '.') || (len == 2 && start[0] == '.' && start[1] == '.'))
        return silo_error_make (err, EINVAL,
                                "invalid cgroups path `%s`: `.` and `..` components are not allowed",
                                path);
      if (out->depth == MAX_DEPTH)
        return silo_error_make (err, EINVAL, "invalid cgroups path `%s`: more than %d levels", path,
                                MAX_DEPTH);
      out->ends[out->depth++] = (size_t) (end - path);
      p = end;
    }
  return 0;
}

/* Root directory without trailing slashes (but "/" stays "/"), malloc'd.  */
static char *
clean_root (const char *root)
{
  size_t len = strlen (root);
  char *r;

  while (len > 1 && root[len - 1] == '/')
    len--;
  xasprintf (&r, "%.*s", (int) len, root);
  return r;
}

/* DIR + the first LEVEL+1 components of CG ("DIR/a/b").  */
static char *
level_dir (const char *dir, const struct cg_path *cg, size_t level)
{
  char *r;
  xasprintf (&r, "%s%.*s", strcmp (dir, "/") == 0 ? "" : dir, (int) cg->ends[level], cg->path);
  return r;
}

/* ---- Hierarchies ---- */

enum
{
  CTRL_CPU = 1 << 0,
  CTRL_CPUACCT = 1 << 1,
  CTRL_CPUSET = 1 << 2,
  CTRL_MEMORY = 1 << 3,
  CTRL_PIDS = 1 << 4,
  CTRL_FREEZER = 1 << 5,
  CTRL_DEVICES = 1 << 6,
};

struct hier
{
  char *dir;        /* the hierarchy's root directory */
  unsigned mask;    /* v1 controllers mounted there (0 on v2 / unified) */
  bool v2;          /* a cgroup2 tree */
  bool optional;    /* the unified tree of a hybrid host: failures there are tolerated */
  long created;     /* first level this call created, or -1 */
  bool entered;     /* the pid was moved here */
};

struct hiers
{
  struct hier h[8];
  size_t n;
};

static void
hiers_free (struct hiers *hs)
{
  size_t i;
  for (i = 0; i < hs->n; i++)
    free (hs->h[i].dir);
  hs->n = 0;
}

static const struct
{
  const char *name;
  unsigned mask;
} v1_dirs[] = {
  { "cpu", CTRL_CPU },
  { "cpuacct", CTRL_CPUACCT },
  { "cpu,cpuacct", CTRL_CPU | CTRL_CPUACCT },
  { "cpuacct,cpu", CTRL_CPU | CTRL_CPUACCT },
  { "cpuset", CTRL_CPUSET },
  { "memory", CTRL_MEMORY },
  { "pids", CTRL_PIDS },
  { "freezer", CTRL_FREEZER },
  { "devices", CTRL_DEVICES },
};

/* What a container may open when linux.resources.devices denies all (Docker's list).  */
static const char *const default_device_rules[] = {
  "c *:* m",   "b *:* m",   /* mknod anything: the node cannot be opened */
  "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", /* null zero full random urandom */
  "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",            /* tty console ptmx pts */
  "c 10:200 rwm",                                                  /* tun */
};

static void
hiers_add (struct hiers *hs, char *dir, unsigned mask, bool v2, bool optional)
{
  struct hier *h = &hs->h[hs->n++];
  h->dir = dir;
  h->mask = mask;
  h->v2 = v2;
  h->optional = optional;
  h->created = -1;
  h->entered = false;
}

static void
collect_hierarchies (const char *cgroup_root, silo_cgroup_mode_t mode, struct hiers *hs)
{
  cleanup_free char *root = clean_root (cgroup_root);
  size_t i, j;

  hs->n = 0;
  if (mode == SILO_CGROUP_MODE_V2)
    {
      hiers_add (hs, xstrdup (root), 0, true, false);
      return;
    }

  for (i = 0; i < ARRAY_SIZE (v1_dirs); i++)
    {
      cleanup_free char *dir = NULL;
      char resolved[PATH_MAX];
      struct stat st;

      xasprintf (&dir, "%s/%s", root, v1_dirs[i].name);
      if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode) || realpath (dir, resolved) == NULL)
        continue;
      for (j = 0; j < hs->n; j++)
        if (strcmp (hs->h[j].dir, resolved) == 0)
          break;
      if (j < hs->n)
        hs->h[j].mask |= v1_dirs[i].mask;
      else
        hiers_add (hs, xstrdup (resolved), v1_dirs[i].mask, false, false);
    }

  if (mode == SILO_CGROUP_MODE_HYBRID)
    {
      char *dir = NULL;
      xasprintf (&dir, "%s/unified", root);
      hiers_add (hs, dir, 0, true, true);
    }
}

static struct hier *
hier_with (struct hiers *hs, unsigned ctrl)
{
  size_t i;
  for (i = 0; i < hs->n; i++)
    if (hs->h[i].mask & ctrl)
      return &hs->h[i];
  return NULL;
}

/* ---- Control files ---- */

static int
write_file (const char *dir, const char *name, const char *value, silo_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (value);
  ssize_t n;

  xasprintf (&path, "%s/%s", dir, name);
  fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return silo_error_make (err, errno, "open `%s`", path);
  n = write (fd, value, len);
  if (n < 0)
    return silo_error_make (err, errno, "write `%s` to `%s`", value, path);
  if ((size_t) n != len)
    return silo_error_make (err, EIO, "short write of `%s` to `%s`", value, path);
  return 0;
}

static int
write_filef (const char *dir, const char *name, silo_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
write_filef (const char *dir, const char *name, silo_error_t *err, const char *fmt, ...)
{
  char buf[128];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  return write_file (dir, name, buf, err);
}

/* Read PATH into BUF (NUL-terminated, trailing whitespace removed); -1 and errno on failure.  */
static ssize_t
read_path (const char *path, char *buf, size_t size)
{
  cleanup_close int fd = -1;
  size_t total = 0;
  ssize_t n;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  while (total < size - 1)
    {
      n = read (fd, buf + total, size - 1 - total);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (n == 0)
        break;
      total += (size_t) n;
    }
  while (total > 0 && (buf[total - 1] == '\n' || buf[total - 1] == ' '))
    total--;
  buf[total] = '\0';
  return (ssize_t) total;
}

static ssize_t
read_file (const char *dir, const char *name, char *buf, size_t size)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, name);
  return read_path (path, buf, size);
}

static bool
file_exists (const char *dir, const char *name)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, name);
  return access (path, F_OK) == 0;
}

static bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The value after "KEY " on one line of a flat-keyed file (memory.events, cpu.stat).  */
static bool
keyed_value (const char *text, const char *key, uint64_t *value)
{
  size_t klen = strlen (key);
  const char *p = text;

  while (p && *p)
    {
      if (strncmp (p, key, klen) == 0 && p[klen] == ' ')
        {
          *value = strtoull (p + klen + 1, NULL, 10);
          return true;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

/* ---- Resources ---- */

static int
check_resources (const struct silo_cgroup_resources *res, silo_error_t *err)
{
  if (res == NULL)
    return 0;
  if (res->memory_swap >= 0)
    {
      if (res->memory_limit <= 0)
        return silo_error_make (err, EINVAL, "a memory+swap limit needs a memory limit");
      if (res->memory_swap < res->memory_limit)
        return silo_error_make (err, EINVAL,
                                "memory+swap limit (%lld) is lower than the memory limit (%lld)",
                                (long long) res->memory_swap, (long long) res->memory_limit);
    }
  if (res->cpu_shares != 0 && (res->cpu_shares < 2 || res->cpu_shares > 262144))
    return silo_error_make (err, EINVAL, "cpu shares %llu out of range [2, 262144]",
                            (unsigned long long) res->cpu_shares);
  return 0;
}

/* runc's conversion from v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000].  */
uint64_t
silo_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static int
apply_v2 (const char *leaf, const struct silo_cgroup_resources *res, silo_error_t *err)
{
  int ret;

  if (res->memory_limit > 0)
    {
      ret = write_filef (leaf, "memory.max", err, "%lld", (long long) res->memory_limit);
      if (ret < 0)
        return ret;
    }
  if (res->memory_swap >= 0 && file_exists (leaf, "memory.swap.max"))
    {
      ret = write_filef (leaf, "memory.swap.max", err, "%lld",
                         (long long) (res->memory_swap - res->memory_limit));
      if (ret < 0)
        return ret;
    }
  if (res->memory_reservation > 0)
    {
      ret = write_filef (leaf, "memory.low", err, "%lld", (long long) res->memory_reservation);
      if (ret < 0)
        return ret;
    }
  if (res->cpu_quota > 0 || res->cpu_period > 0)
    {
      char quota[32] = "max";
      if (res->cpu_quota > 0)
        snprintf (quota, sizeof (quota), "%lld", (long long) res->cpu_quota);
      if (res->cpu_period > 0)
        ret = write_filef (leaf, "cpu.max", err, "%s %llu", quota,
                          (unsigned long long) res->cpu_period);
      else
        ret = write_file (leaf, "cpu.max", quota, err);
      if (ret < 0)
        return ret;
    }
  if (res->cpu_shares)
    {
      ret = write_filef (leaf, "cpu.weight", err, "%llu",
                         (unsigned long long) silo_cgroup_shares_to_weight (res->cpu_shares));
      if (ret < 0)
        return ret;
    }
  if (res->pids_limit > 0)
    {
      ret = write_filef (leaf, "pids.max", err, "%lld", (long long) res->pids_limit);
      if (ret < 0)
        return ret;
    }
  if (res->cpuset_cpus && *res->cpuset_cpus)
    {
      ret = write_file (leaf, "cpuset.cpus", res->cpuset_cpus, err);
      if (ret < 0)
        return ret;
    }
  if (res->cpuset_mems && *res->cpuset_mems)
    {
      ret = write_file (leaf, "cpuset.mems", res->cpuset_mems, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* Resources for one v1 hierarchy holding the controllers MASK.  */
static int
apply_v1 (const char *leaf, unsigned mask, const struct silo_cgroup_resources *res, silo_error_t *err)
{
  int ret;

  if (mask & CTRL_MEMORY)
    {
      if (res->memory_limit > 0)
        {
          ret = write_filef (leaf, "memory.limit_in_bytes", err, "%lld", (long long) res->memory_limit);
          if (ret < 0)
            return ret;
        }
      if (res->memory_swap >= 0 && file_exists (leaf, "memory.memsw.limit_in_bytes"))
        {
          ret = write_filef (leaf, "memory.memsw.limit_in_bytes", err, "%lld",
                             (long long) res->memory_swap);
          if (ret < 0)
            return ret;
        }
      if (res->memory_reservation > 0)
        {
          ret = write_filef (leaf, "memory.soft_limit_in_bytes", err, "%lld",
                             (long long) res->memory_reservation);
          if (ret < 0)
            return ret;
        }
    }
  if (mask & CTRL_CPU)
    {
      if (res->cpu_period > 0)
        {
          ret = write_filef (leaf, "cpu.cfs_period_us", err, "%llu", (unsigned long long) res->cpu_period);
          if (ret < 0)
            return ret;
        }
      if (res->cpu_quota > 0)
        {
          ret = write_filef (leaf, "cpu.cfs_quota_us", err, "%lld", (long long) res->cpu_quota);
          if (ret < 0)
            return ret;
        }
      if (res->cpu_shares)
        {
          ret = write_filef (leaf, "cpu.shares", err, "%llu", (unsigned long long) res->cpu_shares);
          if (ret < 0)
            return ret;
        }
    }
  if ((mask & CTRL_DEVICES) && res->devices_restrict)
    {
      size_t i;
      ret = write_file (leaf, "devices.deny", "a", err);
      if (ret < 0)
        return ret;
      for (i = 0; i < ARRAY_SIZE (default_device_rules); i++)
        {
          ret = write_file (leaf, "devices.allow", default_device_rules[i], err);
          if (ret < 0)
            return ret;
        }
    }
  if ((mask & CTRL_PIDS) && res->pids_limit > 0)
    {
      ret = write_filef (leaf, "pids.max", err, "%lld", (long long) res->pids_limit);
      if (ret < 0)
        return ret;
    }
  if (mask & CTRL_CPUSET)
    {
      if (res->cpuset_cpus && *res->cpuset_cpus)
        {
          ret = write_file (leaf, "cpuset.cpus", res->cpuset_cpus, err);
          if (ret < 0)
            return ret;
        }
      if (res->cpuset_mems && *res->cpuset_mems)
        {
          ret = write_file (leaf, "cpuset.mems", res->cpuset_mems, err);
          if (ret < 0)
            return ret;
        }
    }
  return 0;
}

/* v1 cpuset: a new cgroup starts with empty cpus/mems and no task can join until they are set;
   copy them from the parent.  */
static int
cpuset_copy_from_parent (const char *parent, const char *dir, silo_error_t *err)
{
  static const char *const names[] = { "cpuset.cpus", "cpuset.mems" };
  char buf[1024];
  size_t i;
  int ret;

  for (i = 0; i < ARRAY_SIZE (names); i++)
    {
      if (read_file (dir, names[i], buf, sizeof (buf)) > 0)
        continue;
      if (read_file (parent, names[i], buf, sizeof (buf)) < 0)
        return silo_error_make (err, errno, "read `%s/%s`", parent, names[i]);
      if (buf[0] == '\0')
        continue;
      ret = write_file (dir, names[i], buf, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* v2: the controllers Silo uses, enabled in PARENT's cgroup.subtree_control when PARENT offers
   them.  A failure matters only for a controller that RES needs.  */
static int
enable_v2_controllers (const char *parent, const struct silo_cgroup_resources *res, silo_error_t *err)
{
  static const char *const wanted[] = { "cpu", "cpuset", "io", "memory", "pids" };
  char available[512], enabled[512], line[128];
  bool need[ARRAY_SIZE (wanted)];
  size_t i, len = 0;
  int ret;

  need[0] = res && (res->cpu_quota > 0 || res->cpu_period > 0 || res->cpu_shares);
  need[1] = res && ((res->cpuset_cpus && *res->cpuset_cpus) || (res->cpuset_mems && *res->cpuset_mems));
  need[2] = false;
  need[3] = res && (res->memory_limit > 0 || res->memory_reservation > 0 || res->memory_swap >= 0);
  need[4] = res && res->pids_limit > 0;

  if (read_file (parent, "cgroup.controllers", available, sizeof (available)) < 0)
    available[0] = '\0';
  if (read_file (parent, "cgroup.subtree_control", enabled, sizeof (enabled)) < 0)
    enabled[0] = '\0';

  line[0] = '\0';
  for (i = 0; i < ARRAY_SIZE (wanted); i++)
    {
      char word[32];
      snprintf (word, sizeof (word), " %s ", wanted[i]);
      char padded_avail[520], padded_enabled[520];
      snprintf (padded_avail, sizeof (padded_avail), " %s ", available);
      snprintf (padded_enabled, sizeof (padded_enabled), " %s ", enabled);
      if (strstr (padded_enabled, word))
        continue;
      if (!strstr (padded_avail, word))
        {
          if (need[i])
            return silo_error_make (err, ENOTSUP,
                                    "the cgroup v2 controller `%s` is not available in `%s`",
                                    wanted[i], parent);
          continue;
        }
      len += (size_t) snprintf (line + len, sizeof (line) - len, "%s+%s", len ? " " : "", wanted[i]);
    }
  if (len == 0)
    return 0;

  ret = write_file (parent, "cgroup.subtree_control", line, err);
  if (ret == 0)
    return 0;
  silo_error_release (err);

  /* One at a time, so that one the kernel refuses does not hold the others back.  */
  for (i = 0; i < ARRAY_SIZE (wanted); i++)
    {
      char word[32], one[40];
      snprintf (word, sizeof (word), "+%s", wanted[i]);
      if (!strstr (line, word))
        continue;
      snprintf (one, sizeof (one), "+%s", wanted[i]);
      ret = write_file (parent, "cgroup.subtree_control", one, err);
      if (ret < 0)
        {
          if (need[i])
            return ret;
          silo_error_release (err);
        }
    }
  return 0;
}

/* ---- Create / enter ---- */

static void
remove_created (const struct silo_syscalls *sys, struct hier *h, const struct cg_path *cg)
{
  long level;

  if (h->created < 0)
    return;
  for (level = (long) cg->depth - 1; level >= h->created; level--)
    {
      cleanup_free char *dir = level_dir (h->dir, cg, (size_t) level);
      silo_sys_rmdir (sys, dir);
    }
  h->created = -1;
}

static int
make_path (const struct silo_syscalls *sys, struct hier *h, const struct cg_path *cg,
           const struct silo_cgroup_resources *res, silo_error_t *err)
{
  int attempt;
  size_t level;
  int ret;

  for (attempt = 0;; attempt++)
    {
      for (level = 0; level < cg->depth; level++)
        {
          cleanup_free char *dir = level_dir (h->dir, cg, level);
          cleanup_free char *parent = level ? level_dir (h->dir, cg, level - 1) : xstrdup (h->dir);

          if (h->v2 && !h->optional)
            {
              ret = enable_v2_controllers (parent, res, err);
              if (ret < 0)
                return ret;
            }
          if (silo_sys_mkdir (sys, dir, 0755) == 0)
            {
              if (h->created < 0 || (long) level < h->created)
                h->created = (long) level;
            }
          else if (errno == ENOENT && attempt < 5 && dir_exists (h->dir))
            break; /* a concurrent destroy removed an ancestor: start again */
          else if (errno != EEXIST)
            return silo_error_make (err, errno, "mkdir `%s`", dir);

          if (h->mask & CTRL_CPUSET)
            {
              ret = cpuset_copy_from_parent (parent, dir, err);
              if (ret < 0)
                return ret;
            }
        }
      if (level == cg->depth)
        return 0;
    }
}

static int
enter_pid (struct hier *h, const struct cg_path *cg, pid_t pid, silo_error_t *err)
{
  cleanup_free char *leaf = level_dir (h->dir, cg, cg->depth - 1);
  int ret = write_filef (leaf, "cgroup.procs", err, "%d", (int) pid);
  if (ret < 0)
    return silo_error_wrap (err, "move process %d into cgroup", (int) pid);
  h->entered = true;
  return 0;
}

int
silo_cgroup_create (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                    const char *path, const struct silo_cgroup_resources *res, pid_t pid,
                    silo_error_t *err)
{
  struct silo_cgroup_resources none;
  struct hiers hs;
  struct cg_path cg;
  size_t i;
  int ret;

  ret = parse_path (path, &cg, err);
  if (ret < 0)
    return ret;
  if (res == NULL)
    {
      silo_cgroup_resources_init (&none);
      res = &none;
    }
  ret = check_resources (res, err);
  if (ret < 0)
    return ret;

  collect_hierarchies (cgroup_root, mode, &hs);
  if (hs.n == 0 || (mode != SILO_CGROUP_MODE_V2 && hier_with (&hs, ~0u) == NULL))
    {
      hiers_free (&hs);
      return silo_error_make (err, ENOENT, "no cgroup hierarchy found under `%s`", cgroup_root);
    }
  if (mode != SILO_CGROUP_MODE_V2)
    {
      const char *missing = NULL;
      if ((res->memory_limit > 0 || res->memory_reservation > 0) && !hier_with (&hs, CTRL_MEMORY))
        missing = "memory";
      else if ((res->cpu_quota > 0 || res->cpu_period > 0 || res->cpu_shares) && !hier_with (&hs, CTRL_CPU))
        missing = "cpu";
      else if (res->pids_limit > 0 && !hier_with (&hs, CTRL_PIDS))
        missing = "pids";
      else if (((res->cpuset_cpus && *res->cpuset_cpus) || (res->cpuset_mems && *res->cpuset_mems))
               && !hier_with (&hs, CTRL_CPUSET))
        missing = "cpuset";
      if (missing)
        {
          hiers_free (&hs);
          return silo_error_make (err, ENOTSUP, "the cgroup v1 controller `%s` is not mounted under `%s`",
                                  missing, cgroup_root);
        }
    }

  for (i = 0; i < hs.n; i++)
    {
      struct hier *h = &hs.h[i];
      cleanup_free char *leaf = NULL;

      ret = make_path (sys, h, &cg, res, err);
      if (ret == 0)
        {
          leaf = level_dir (h->dir, &cg, cg.depth - 1);
          if (h->v2)
            ret = h->optional ? 0 : apply_v2 (leaf, res, err);
          else
            ret = apply_v1 (leaf, h->mask, res, err);
        }
      if (ret < 0)
        {
          if (h->optional)
            {
              silo_error_release (err);
              remove_created (sys, h, &cg);
              h->dir[0] = '\0'; /* skipped from now on */
              continue;
            }
          goto fail;
        }
    }

  if (pid > 0)
    for (i = 0; i < hs.n; i++)
      {
        struct hier *h = &hs.h[i];
        if (h->dir[0] == '\0')
          continue;
        ret = enter_pid (h, &cg, pid, err);
        if (ret < 0)
          {
            if (h->optional)
              {
                silo_error_release (err);
                continue;
              }
            goto fail;
          }
      }

  hiers_free (&hs);
  return 0;

fail:
  for (i = 0; i < hs.n; i++)
    {
      struct hier *h = &hs.h[i];
      if (h->dir[0] == '\0')
        continue;
      if (h->entered)
        {
          /* Back to the hierarchy's root cgroup, which always accepts a task, so the directories
             can go.  */
          silo_error_t ignored = NULL;
          if (write_filef (h->dir, "cgroup.procs", &ignored, "%d", (int) pid) < 0)
            silo_error_release (&ignored);
        }
      remove_created (sys, h, &cg);
    }
  hiers_free (&hs);
  return silo_error_wrap (err, "cgroup `%s`", path);
}

int
silo_cgroup_enter (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                   const char *path, pid_t pid, silo_error_t *err)
{
  struct hiers hs;
  struct cg_path cg;
  size_t i, entered = 0;
  int ret;

  (void) sys;
  ret = parse_path (path, &cg, err);
  if (ret < 0)
    return ret;
  collect_hierarchies (cgroup_root, mode, &hs);
  for (i = 0; i < hs.n; i++)
    {
      struct hier *h = &hs.h[i];
      cleanup_free char *leaf = level_dir (h->dir, &cg, cg.depth - 1);

      if (!dir_exists (leaf))
        {
          if (h->optional)
            continue;
          ret = silo_error_make (err, ENOENT, "cgroup `%s` does not exist", leaf);
          break;
        }
      ret = enter_pid (h, &cg, pid, err);
      if (ret < 0)
        {
          if (h->optional)
            {
              silo_error_release (err);
              ret = 0;
              continue;
            }
          break;
        }
      entered++;
    }
  hiers_free (&hs);
  if (ret == 0 && entered == 0)
    ret = silo_error_make (err, ENOENT, "no cgroup hierarchy found under `%s`", cgroup_root);
  return ret;
}

/* ---- Destroy ---- */

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* SIGKILL every process listed in DIR/cgroup.procs and in its descendants; return how many were
   listed.  */
static size_t
kill_tree (const struct silo_syscalls *sys, const char *dir, int depth)
{
  char buf[8192];
  size_t count = 0;
  DIR *d;
  struct dirent *de;
  char *p, *next;

  if (read_file (dir, "cgroup.procs", buf, sizeof (buf)) > 0)
    for (p = buf; *p; p = next)
      {
        long pid = strtol (p, &next, 10);
        if (next == p)
          break;
        while (*next == '\n' || *next == ' ')
          next++;
        if (pid <= 0)
          continue;
        count++;
        if (pid != (long) getpid ())
          silo_sys_kill (sys, (pid_t) pid, SIGKILL);
      }

  if (depth > 16 || (d = opendir (dir)) == NULL)
    return count;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      xasprintf (&child, "%s/%s", dir, de->d_name);
      if (dir_exists (child))
        count += kill_tree (sys, child, depth + 1);
    }
  closedir (d);
  return count;
}

/* Remove DIR's descendant cgroups, then DIR; -1 and errno on failure.  */
static int
remove_tree (const struct silo_syscalls *sys, const char *dir, int depth)
{
  DIR *d;
  struct dirent *de;
  int attempt;

  if (depth <= 16 && (d = opendir (dir)) != NULL)
    {
      while ((de = readdir (d)) != NULL)
        {
          cleanup_free char *child = NULL;
          if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
            continue;
          xasprintf (&child, "%s/%s", dir, de->d_name);
          if (dir_exists (child))
            remove_tree (sys, child, depth + 1);
        }
      closedir (d);
    }
  /* The kernel can answer EBUSY for a moment after the last task left.  */
  for (attempt = 0;; attempt++)
    {
      if (silo_sys_rmdir (sys, dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || attempt == 100)
        return -1;
      sleep_ms (10);
    }
}

static void
freezer_set (const char *leaf, const char *state)
{
  silo_error_t ignored = NULL;
  char buf[64];
  int i;

  if (write_file (leaf, "freezer.state", state, &ignored) < 0)
    {
      silo_error_release (&ignored);
      return;
    }
  for (i = 0; i < 100; i++)
    {
      if (read_file (leaf, "freezer.state", buf, sizeof (buf)) < 0 || strcmp (buf, state) == 0)
        return;
      sleep_ms (10);
    }
}

#define DESTROY_TIMEOUT_MS 10000

int
silo_cgroup_destroy (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                     const char *path, silo_error_t *err)
{
  struct hiers hs;
  struct cg_path cg;
  char *leaves[8] = { NULL };
  struct hier *freezer;
  size_t i, left;
  long waited;
  int ret = 0;

  ret = parse_path (path, &cg, err);
  if (ret < 0)
    return ret;
  collect_hierarchies (cgroup_root, mode, &hs);
  for (i = 0; i < hs.n; i++)
    {
      leaves[i] = level_dir (hs.h[i].dir, &cg, cg.depth - 1);
      if (!dir_exists (leaves[i]))
        {
          free (leaves[i]);
          leaves[i] = NULL;
        }
    }

  /* Stop the processes from forking while they are being killed: cgroup.kill (v2, 5.14+) kills
     the whole subtree at once; otherwise freeze (v2 cgroup.freeze, v1 freezer), kill, thaw.  */
  freezer = hier_with (&hs, CTRL_FREEZER);
  for (i = 0; i < hs.n; i++)
    {
      silo_error_t ignored = NULL;
      if (!leaves[i] || !hs.h[i].v2 || hs.h[i].optional)
        continue;
      if (file_exists (leaves[i], "cgroup.kill"))
        {
          if (write_file (leaves[i], "cgroup.kill", "1", &ignored) < 0)
            silo_error_release (&ignored);
        }
      else if (file_exists (leaves[i], "cgroup.freeze"))
        {
          if (write_file (leaves[i], "cgroup.freeze", "1", &ignored) == 0)
            {
              for (size_t k = 0; k < hs.n; k++)
                if (leaves[k])
                  kill_tree (sys, leaves[k], 0);
              if (write_file (leaves[i], "cgroup.freeze", "0", &ignored) < 0)
                silo_error_release (&ignored);
            }
          else
            silo_error_release (&ignored);
        }
    }
  if (freezer && leaves[freezer - hs.h])
    {
      const char *leaf = leaves[freezer - hs.h];
      freezer_set (leaf, "FROZEN");
      for (i = 0; i < hs.n; i++)
        if (leaves[i])
          kill_tree (sys, leaves[i], 0);
      freezer_set (leaf, "THAWED");
    }

  for (waited = 0;; waited += 10)
    {
      left = 0;
      for (i = 0; i < hs.n; i++)
        if (leaves[i])
          left += kill_tree (sys, leaves[i], 0);
      if (left == 0)
        break;
      if (waited >= DESTROY_TIMEOUT_MS)
        {
          ret = silo_error_make (err, EBUSY, "cgroup `%s`: %zu processes still running after %d ms",
                                 path, left, DESTROY_TIMEOUT_MS);
          goto out;
        }
      sleep_ms (10);
    }

  for (i = 0; i < hs.n; i++)
    {
      long level;
      if (!leaves[i])
        continue;
      if (remove_tree (sys, leaves[i], 0) < 0)
        {
          if (hs.h[i].optional)
            continue;
          if (ret == 0)
            ret = silo_error_make (err, errno, "rmdir `%s`", leaves[i]);
          continue;
        }
      /* The ancestors that this path names, while they are empty (another container's cgroup
         keeps them: EBUSY / ENOTEMPTY end the walk).  */
      for (level = (long) cg.depth - 2; level >= 0; level--)
        {
          cleanup_free char *dir = level_dir (hs.h[i].dir, &cg, (size_t) level);
          if (silo_sys_rmdir (sys, dir) < 0)
            break;
        }
    }

out:
  for (i = 0; i < hs.n; i++)
    free (leaves[i]);
  hiers_free (&hs);
  return ret;
}

/* ---- Stats ---- */

/* v1 reports "unlimited" as the largest page-aligned int64.  */
static int64_t
v1_limit (uint64_t v)
{
  return v >= (UINT64_C (1) << 62) ? -1 : (int64_t) v;
}

static bool
read_u64 (const char *dir, const char *name, uint64_t *out)
{
  char buf[64];
  if (read_file (dir, name, buf, sizeof (buf)) <= 0)
    return false;
  *out = strtoull (buf, NULL, 10);
  return true;
}

static bool
read_limit (const char *dir, const char *name, int64_t *out)
{
  char buf[64];
  if (read_file (dir, name, buf, sizeof (buf)) <= 0)
    return false;
  if (strcmp (buf, "max") == 0)
    *out = -1;
  else
    *out = v1_limit (strtoull (buf, NULL, 10));
  return true;
}

int
silo_cgroup_read_stats (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                        const char *path, struct silo_cgroup_stats *stats, silo_error_t *err)
{
  struct hiers hs;
  struct cg_path cg;
  char buf[4096];
  size_t i, found = 0;
  int ret;

  (void) sys;
  memset (stats, 0, sizeof (*stats));
  stats->memory_limit = -1;
  stats->pids_limit = -1;

  ret = parse_path (path, &cg, err);
  if (ret < 0)
    return ret;
  collect_hierarchies (cgroup_root, mode, &hs);
  for (i = 0; i < hs.n; i++)
    {
      struct hier *h = &hs.h[i];
      cleanup_free char *leaf = level_dir (h->dir, &cg, cg.depth - 1);
      uint64_t v;

      if (h->optional || !dir_exists (leaf))
        continue;
      found++;
      if (h->v2)
        {
          if (read_file (leaf, "cpu.stat", buf, sizeof (buf)) > 0 && keyed_value (buf, "usage_usec", &v))
            stats->cpu_usage_ns = v * 1000;
          read_u64 (leaf, "memory.current", &stats->memory_usage);
          read_limit (leaf, "memory.max", &stats->memory_limit);
          read_u64 (leaf, "pids.current", &stats->pids_current);
          read_limit (leaf, "pids.max", &stats->pids_limit);
          if (read_file (leaf, "memory.events", buf, sizeof (buf)) > 0 && keyed_value (buf, "oom_kill", &v))
            stats->oom_kill = v;
          continue;
        }
      if (h->mask & CTRL_CPUACCT)
        read_u64 (leaf, "cpuacct.usage", &stats->cpu_usage_ns);
      if (h->mask & CTRL_MEMORY)
        {
          read_u64 (leaf, "memory.usage_in_bytes", &stats->memory_usage);
          read_limit (leaf, "memory.limit_in_bytes", &stats->memory_limit);
          if (read_file (leaf, "memory.oom_control", buf, sizeof (buf)) > 0 && keyed_value (buf, "oom_kill", &v))
            stats->oom_kill = v;
        }
      if (h->mask & CTRL_PIDS)
        {
          read_u64 (leaf, "pids.current", &stats->pids_current);
          read_limit (leaf, "pids.max", &stats->pids_limit);
        }
    }
  hiers_free (&hs);
  if (found == 0)
    return silo_error_make (err, ENOENT, "cgroup `%s` does not exist under `%s`", path, cgroup_root);
  return 0;
}

char *
silo_cgroup_oom_file (const char *cgroup_root, silo_cgroup_mode_t mode, const char *path)
{
  cleanup_free char *root = clean_root (cgroup_root);
  const char *sep = (path && path[0] == '/') ? "" : "/";
  char *r;

  if (strcmp (root, "/") == 0)
    root[0] = '\0';
  if (mode == SILO_CGROUP_MODE_V2)
    xasprintf (&r, "%s%s%s/memory.events", root, sep, path ? path : "");
  else
    xasprintf (&r, "%s/memory%s%s/memory.oom_control", root, sep, path ? path : "");
  return r;
}
