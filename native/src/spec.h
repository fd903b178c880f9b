/* silo-runtime: the OCI runtime-spec config.json, parsed (with yajl) into plain C structs.
 *
 * Only what the runtime acts on is kept; unknown members are ignored, as runc does.  Every
 * value is checked for its JSON type, and a bad one is reported with its JSON path
 * ("config.json: `process.args` must be a non-empty array of strings").  */
#ifndef SILO_SPEC_H
#define SILO_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "utils.h"

struct silo_spec_mount
{
  char *destination;
  char *type;           /* NULL for a bind mount written without a type */
  char *source;
  unsigned long flags;  /* MS_* that set flags (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC ...) */
  unsigned long clear;  /* MS_* that an option cleared explicitly ("rw", "suid" ...) */
  unsigned long propagation; /* MS_PRIVATE / MS_SLAVE / MS_SHARED / MS_UNBINDABLE (| MS_REC) */
  char *data;           /* the options the kernel takes as data ("mode=755,size=65536k"), or NULL */
};

struct silo_spec_id_map
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct silo_spec_namespace
{
  int flag;   /* CLONE_NEW* */
  char *path; /* join this namespace instead of creating one, or NULL */
};

struct silo_spec_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
};

struct silo_spec_device
{
  char *path;
  char type; /* 'c', 'b', 'p' ('u' is read as 'c') */
  int64_t major;
  int64_t minor;
  uint32_t file_mode; /* permission bits; 0666 when unset */
  uid_t uid;
  gid_t gid;
};

struct silo_spec_seccomp_arg
{
  unsigned int index;
  uint64_t value;
  uint64_t value_two;
  int op; /* enum scmp_compare (SCMP_CMP_EQ ...) */
};

struct silo_spec_seccomp_rule
{
  char **names;
  size_t names_len;
  uint32_t action; /* SCMP_ACT_* without the errno part */
  bool has_errno;
  uint32_t errno_ret;
  struct silo_spec_seccomp_arg *args;
  size_t args_len;
};

struct silo_spec_seccomp
{
  uint32_t default_action;
  bool has_default_errno;
  uint32_t default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" ... */
  size_t architectures_len;
  bool flag_log;
  bool flag_spec_allow;
  struct silo_spec_seccomp_rule *rules;
  size_t rules_len;
};

struct silo_spec_process
{
  bool terminal;
  unsigned console_cols, console_rows; /* consoleSize.width / height, 0 when not given */
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t additional_gids_len;
  bool has_umask;
  mode_t umask;
  char **args; /* NULL-terminated */
  size_t args_len;
  char **env; /* NULL-terminated */
  size_t env_len;
  char *cwd;
  bool has_capabilities;
  uint64_t cap_bounding;
  uint64_t cap_effective;
  uint64_t cap_permitted;
  uint64_t cap_inheritable;
  uint64_t cap_ambient;
  struct silo_spec_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
};

struct silo_spec
{
  char *oci_version;
  char *root_path; /* as written (relative to the bundle, or absolute) */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct silo_spec_process process;
  struct silo_spec_mount *mounts;
  size_t mounts_len;
  struct silo_spec_namespace *namespaces;
  size_t namespaces_len;
  struct silo_spec_id_map *uid_mappings;
  size_t uid_mappings_len;
  struct silo_spec_id_map *gid_mappings;
  size_t gid_mappings_len;
  struct silo_cgroup_resources resources;
  char *cgroups_path;
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 when unset */
  char **sysctl_keys;
  char **sysctl_values;
  size_t sysctl_len;
  struct silo_spec_device *devices;
  size_t devices_len;
  struct silo_spec_seccomp *seccomp; /* NULL: no filter */
  char **annotation_keys;
  char **annotation_values;
  size_t annotations_len;
};

/* Parse the config.json text JSON (NUL-terminated).  */
int silo_spec_parse (const char *json, struct silo_spec **out, silo_error_t *err);

/* Read and parse BUNDLE/config.json.  */
int silo_spec_load (const char *bundle, struct silo_spec **out, silo_error_t *err);

/* Parse a runc `--process` JSON document (a spec's `process` object) into PROCESS.  */
int silo_spec_parse_process (const char *json, struct silo_spec_process *process, silo_error_t *err);

void silo_spec_process_clear (struct silo_spec_process *process);
void silo_spec_free (struct silo_spec *spec);

static inline void
cleanup_specp (struct silo_spec **spec)
{
  if (*spec)
    silo_spec_free (*spec);
  *spec = NULL;
}
#define cleanup_spec __attribute__ ((cleanup (cleanup_specp)))

/* The namespace of type FLAG in SPEC, or NULL.  */
const struct silo_spec_namespace *silo_spec_namespace (const struct silo_spec *spec, int flag);

/* Parse one mount's options (config.json mounts[].options) into M's flags, clear, propagation
   and data members.  */
void silo_spec_mount_options (struct silo_spec_mount *m, char **options, size_t options_len);

/* Read all of FILE (NUL-terminated, malloc'd) into *OUT.  */
int silo_read_file (const char *file, char **out, size_t *len, silo_error_t *err);

#endif
