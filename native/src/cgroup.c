/* silo-runtime: cgroup hierarchy detection.  */
#include "cgroup.h"

#include <linux/magic.h>
#include <string.h>

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
