/* silo-runtime: cgroup hierarchy detection.  */
#ifndef SILO_CGROUP_H
#define SILO_CGROUP_H

#include "syscalls.h"
#include "utils.h"

#define SILO_CGROUP_ROOT "/sys/fs/cgroup"

typedef enum
{
  SILO_CGROUP_MODE_V1 = 1, /* legacy: one cgroup v1 hierarchy per controller.  */
  SILO_CGROUP_MODE_HYBRID, /* v1 controllers, plus cgroup2 mounted at ROOT/unified.  */
  SILO_CGROUP_MODE_V2,     /* unified: ROOT itself is cgroup2.  */
} silo_cgroup_mode_t;

/* Find how cgroups are mounted under CGROUP_ROOT (normally SILO_CGROUP_ROOT):
 *   - ROOT is cgroup2                                     -> V2
 *   - ROOT is tmpfs and ROOT/unified is cgroup2           -> HYBRID
 *   - anything else (ROOT/unified missing or not cgroup2) -> V1
 * Filesystems are looked up through SYS (NULL: the real statfs).
 * Fails if ROOT cannot be inspected, or ROOT/unified exists but cannot.  */
int silo_cgroup_detect_mode (const struct silo_syscalls *sys, const char *cgroup_root,
                             silo_cgroup_mode_t *mode, silo_error_t *err);

/* "v1", "hybrid" or "v2" ("unknown" for anything else).  */
const char *silo_cgroup_mode_name (silo_cgroup_mode_t mode);

#endif
