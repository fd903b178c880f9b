/* silo-runtime: the Linux names an OCI config.json uses, and their kernel values:
 * namespaces, capabilities and mount options.  `features` lists them, and the
 * container setup (a later issue) translates config.json through them.  */
#ifndef SILO_LINUX_DEFS_H
#define SILO_LINUX_DEFS_H

#include <stdbool.h>
#include <stddef.h>

struct silo_namespace_def
{
  const char *name; /* as in config.json linux.namespaces[].type */
  int clone_flag;   /* CLONE_NEW* */
};

struct silo_mount_option_def
{
  const char *name;    /* as in config.json mounts[].options */
  bool clear;          /* true: the option clears FLAGS instead of setting them */
  unsigned long flags; /* MS_* */
};

/* Tables, in alphabetical order.  */
extern const struct silo_namespace_def silo_namespaces[];
extern const size_t silo_namespaces_count;
extern const struct silo_mount_option_def silo_mount_options[];
extern const size_t silo_mount_options_count;

const struct silo_namespace_def *silo_namespace_find (const char *name);
const struct silo_mount_option_def *silo_mount_option_find (const char *name);

/* Capabilities 0 .. silo_capability_last () as known by <linux/capability.h>.
   silo_capability_name () returns "CAP_CHOWN"... or NULL outside that range;
   silo_capability_find () returns the number for such a name, or -1.  */
int silo_capability_last (void);
const char *silo_capability_name (int cap);
int silo_capability_find (const char *name);

/* Resource limits: "RLIMIT_NOFILE" <-> RLIMIT_NOFILE.  find returns -1 for an unknown name.  */
int silo_rlimit_find (const char *name);
const char *silo_rlimit_name (int resource);

/* Signals: "TERM", "SIGTERM", "sigterm" or "15" -> SIGTERM; also "RTMIN+N" / "SIGRTMAX-N".
   Returns -1 for an unknown name or a number outside 0..SIGRTMAX (0: only check the process).  */
int silo_signal_parse (const char *name);
/* "SIGTERM" for SIGTERM, or NULL.  */
const char *silo_signal_name (int sig);

#endif
