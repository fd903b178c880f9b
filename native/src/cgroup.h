/* silo-runtime: cgroup hierarchy detection.  */
#ifndef SILO_CGROUP_H
#define SILO_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

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


/* ---- Container cgroups (implemented in cgroup.c) ----
 * PATH is an OCI `linux.cgroupsPath` such as "/silo/abc": absolute, relative to the root of
 * every hierarchy, no "." or ".." components (rejected with EINVAL).  */

/* Resource limits from `linux.resources`.  An unset field is -1 (signed) or 0 (unsigned /
   pointers).  */
struct silo_cgroup_resources
{
  int64_t memory_limit;       /* bytes */
  int64_t memory_swap;        /* bytes, memory + swap (OCI semantics) */
  int64_t memory_reservation; /* bytes */
  int64_t cpu_quota;          /* microseconds per period */
  uint64_t cpu_period;        /* microseconds */
  uint64_t cpu_shares;        /* v1 shares; converted to cpu.weight on v2 */
  int64_t pids_limit;         /* max processes; 0 or -1: unlimited */
  char *cpuset_cpus;          /* "0-1" */
  char *cpuset_mems;          /* "0" */
  /* linux.resources.devices denies all: on v1 the devices controller then allows only the
     default devices (null, zero, full, random, urandom, tty, ptmx, pts) for read/write, and
     mknod of any device (which cannot then be opened), as Docker does.  */
  int devices_restrict;
};

/* Everything unset.  */
void silo_cgroup_resources_init (struct silo_cgroup_resources *res);

/* v1 cpu.shares [2, 262144] -> v2 cpu.weight [1, 10000], runc's formula
   (1 + (shares - 2) * 9999 / 262142); 0 (unset) -> 0.  */
uint64_t silo_cgroup_shares_to_weight (uint64_t shares);

/* Create cgroup PATH (in every v1 hierarchy Silo uses that is mounted under CGROUP_ROOT:
   cpu, cpuacct, cpuset, memory, pids, freezer; or in the unified tree, enabling the needed
   controllers in each ancestor's cgroup.subtree_control), apply RES, and move PID into it
   (PID 0: create and configure only).  A failure removes what this call created.  */
int silo_cgroup_create (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                        const char *path, const struct silo_cgroup_resources *res, pid_t pid,
                        silo_error_t *err);

/* Move PID into the existing cgroup PATH (every hierarchy), as `exec` does.  */
int silo_cgroup_enter (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                       const char *path, pid_t pid, silo_error_t *err);

/* Kill every process left in PATH (SIGKILL), wait until it is empty, remove it from every
   hierarchy.  A cgroup that does not exist is not an error.  */
int silo_cgroup_destroy (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                         const char *path, silo_error_t *err);

struct silo_cgroup_stats
{
  uint64_t cpu_usage_ns;
  uint64_t memory_usage;  /* bytes */
  int64_t memory_limit;   /* bytes, -1 unlimited */
  uint64_t pids_current;
  int64_t pids_limit;     /* -1 unlimited */
  uint64_t oom_kill;      /* oom_kill counter */
};

int silo_cgroup_read_stats (const struct silo_syscalls *sys, const char *cgroup_root, silo_cgroup_mode_t mode,
                            const char *path, struct silo_cgroup_stats *stats, silo_error_t *err);

/* The file holding PATH's `oom_kill N` counter: ROOT/PATH/memory.events (v2) or
   ROOT/memory/PATH/memory.oom_control (v1, hybrid).  Malloc'd.  */
char *silo_cgroup_oom_file (const char *cgroup_root, silo_cgroup_mode_t mode, const char *path);

#endif
