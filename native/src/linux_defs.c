/* silo-runtime: namespace, capability and mount option tables.  */
#include "linux_defs.h"
#include "utils.h"

#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

const struct silo_namespace_def silo_namespaces[] = {
  { "cgroup", CLONE_NEWCGROUP },
  { "ipc", CLONE_NEWIPC },
  { "mount", CLONE_NEWNS },
  { "network", CLONE_NEWNET },
  { "pid", CLONE_NEWPID },
#ifdef CLONE_NEWTIME
  { "time", CLONE_NEWTIME },
#endif
  { "user", CLONE_NEWUSER },
  { "uts", CLONE_NEWUTS },
};
const size_t silo_namespaces_count = ARRAY_SIZE (silo_namespaces);

const struct silo_mount_option_def silo_mount_options[] = {
  { "async", true, MS_SYNCHRONOUS },
  { "atime", true, MS_NOATIME },
  { "bind", false, MS_BIND },
  { "defaults", false, 0 },
  { "dev", true, MS_NODEV },
  { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },
  { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION },
  { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },
  { "mand", false, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME },
  { "nodev", false, MS_NODEV },
  { "nodiratime", false, MS_NODIRATIME },
  { "noexec", false, MS_NOEXEC },
  { "noiversion", true, MS_I_VERSION },
  { "nolazytime", true, MS_LAZYTIME },
  { "nomand", true, MS_MANDLOCK },
  { "norelatime", true, MS_RELATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "nosuid", false, MS_NOSUID },
#ifdef MS_NOSYMFOLLOW
  { "nosymfollow", false, MS_NOSYMFOLLOW },
#endif
  { "private", false, MS_PRIVATE },
  { "rbind", false, MS_BIND | MS_REC },
  { "relatime", false, MS_RELATIME },
  { "remount", false, MS_REMOUNT },
  { "ro", false, MS_RDONLY },
  { "rprivate", false, MS_PRIVATE | MS_REC },
  { "rshared", false, MS_SHARED | MS_REC },
  { "rslave", false, MS_SLAVE | MS_REC },
  { "runbindable", false, MS_UNBINDABLE | MS_REC },
  { "rw", true, MS_RDONLY },
  { "shared", false, MS_SHARED },
  { "silent", false, MS_SILENT },
  { "slave", false, MS_SLAVE },
  { "strictatime", false, MS_STRICTATIME },
  { "suid", true, MS_NOSUID },
#ifdef MS_NOSYMFOLLOW
  { "symfollow", true, MS_NOSYMFOLLOW },
#endif
  { "sync", false, MS_SYNCHRONOUS },
  { "unbindable", false, MS_UNBINDABLE },
};
const size_t silo_mount_options_count = ARRAY_SIZE (silo_mount_options);

/* Indexed by capability number; the name is the macro's own spelling.  */
#define CAP_ENTRY(cap) [cap] = #cap
static const char *const capability_names[CAP_LAST_CAP + 1] = {
  CAP_ENTRY (CAP_CHOWN),
  CAP_ENTRY (CAP_DAC_OVERRIDE),
  CAP_ENTRY (CAP_DAC_READ_SEARCH),
  CAP_ENTRY (CAP_FOWNER),
  CAP_ENTRY (CAP_FSETID),
  CAP_ENTRY (CAP_KILL),
  CAP_ENTRY (CAP_SETGID),
  CAP_ENTRY (CAP_SETUID),
  CAP_ENTRY (CAP_SETPCAP),
  CAP_ENTRY (CAP_LINUX_IMMUTABLE),
  CAP_ENTRY (CAP_NET_BIND_SERVICE),
  CAP_ENTRY (CAP_NET_BROADCAST),
  CAP_ENTRY (CAP_NET_ADMIN),
  CAP_ENTRY (CAP_NET_RAW),
  CAP_ENTRY (CAP_IPC_LOCK),
  CAP_ENTRY (CAP_IPC_OWNER),
  CAP_ENTRY (CAP_SYS_MODULE),
  CAP_ENTRY (CAP_SYS_RAWIO),
  CAP_ENTRY (CAP_SYS_CHROOT),
  CAP_ENTRY (CAP_SYS_PTRACE),
  CAP_ENTRY (CAP_SYS_PACCT),
  CAP_ENTRY (CAP_SYS_ADMIN),
  CAP_ENTRY (CAP_SYS_BOOT),
  CAP_ENTRY (CAP_SYS_NICE),
  CAP_ENTRY (CAP_SYS_RESOURCE),
  CAP_ENTRY (CAP_SYS_TIME),
  CAP_ENTRY (CAP_SYS_TTY_CONFIG),
  CAP_ENTRY (CAP_MKNOD),
  CAP_ENTRY (CAP_LEASE),
  CAP_ENTRY (CAP_AUDIT_WRITE),
  CAP_ENTRY (CAP_AUDIT_CONTROL),
  CAP_ENTRY (CAP_SETFCAP),
  CAP_ENTRY (CAP_MAC_OVERRIDE),
  CAP_ENTRY (CAP_MAC_ADMIN),
#ifdef CAP_SYSLOG
  CAP_ENTRY (CAP_SYSLOG),
#endif
#ifdef CAP_WAKE_ALARM
  CAP_ENTRY (CAP_WAKE_ALARM),
#endif
#ifdef CAP_BLOCK_SUSPEND
  CAP_ENTRY (CAP_BLOCK_SUSPEND),
#endif
#ifdef CAP_AUDIT_READ
  CAP_ENTRY (CAP_AUDIT_READ),
#endif
#ifdef CAP_PERFMON
  CAP_ENTRY (CAP_PERFMON),
#endif
#ifdef CAP_BPF
  CAP_ENTRY (CAP_BPF),
#endif
#ifdef CAP_CHECKPOINT_RESTORE
  CAP_ENTRY (CAP_CHECKPOINT_RESTORE),
#endif
};
#undef CAP_ENTRY

const struct silo_namespace_def *
silo_namespace_find (const char *name)
{
  size_t i;

  for (i = 0; i < silo_namespaces_count; i++)
    if (strcmp (silo_namespaces[i].name, name) == 0)
      return &silo_namespaces[i];
  return NULL;
}

const struct silo_mount_option_def *
silo_mount_option_find (const char *name)
{
  size_t i;

  for (i = 0; i < silo_mount_options_count; i++)
    if (strcmp (silo_mount_options[i].name, name) == 0)
      return &silo_mount_options[i];
  return NULL;
}

int
silo_capability_last (void)
{
  return CAP_LAST_CAP;
}

const char *
silo_capability_name (int cap)
{
  if (cap < 0 || cap > CAP_LAST_CAP)
    return NULL;
  return capability_names[cap];
}

int
silo_capability_find (const char *name)
{
  int cap;

  for (cap = 0; cap <= CAP_LAST_CAP; cap++)
    if (capability_names[cap] != NULL && strcmp (capability_names[cap], name) == 0)
      return cap;
  return -1;
}

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
silo_rlimit_find (const char *name)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (rlimits); i++)
    if (strcmp (rlimits[i].name, name) == 0)
      return rlimits[i].value;
  return -1;
}

const char *
silo_rlimit_name (int resource)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (rlimits); i++)
    if (rlimits[i].value == resource)
      return rlimits[i].name;
  return NULL;
}

static const struct name_value signals[] = {
  { "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },     { "CHLD", SIGCHLD },
  { "CONT", SIGCONT }, { "FPE", SIGFPE },   { "HUP", SIGHUP },     { "ILL", SIGILL },
  { "INT", SIGINT },   { "IO", SIGIO },     { "IOT", SIGIOT },     { "KILL", SIGKILL },
  { "PIPE", SIGPIPE }, { "POLL", SIGPOLL }, { "PROF", SIGPROF },   { "PWR", SIGPWR },
  { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "STKFLT", SIGSTKFLT }, { "STOP", SIGSTOP },
  { "SYS", SIGSYS },   { "TERM", SIGTERM }, { "TRAP", SIGTRAP },   { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "USR1", SIGUSR1 },
  { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "XCPU", SIGXCPU },
  { "XFSZ", SIGXFSZ },
};

static int
parse_small_int (const char *s, int max)
{
  char *end = NULL;
  long v;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < 0 || v > max)
    return -1;
  return (int) v;
}

int
silo_signal_parse (const char *name)
{
  size_t i;
  int n;

  if (name == NULL || *name == '\0')
    return -1;
  if (*name >= '0' && *name <= '9')
    {
      /* 0 is valid: it checks that the process exists.  */
      return parse_small_int (name, SIGRTMAX);
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (i = 0; i < ARRAY_SIZE (signals); i++)
    if (strcasecmp (signals[i].name, name) == 0)
      return signals[i].value;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMIN;
      if (name[5] == '+' && (n = parse_small_int (name + 6, SIGRTMAX - SIGRTMIN)) >= 0)
        return SIGRTMIN + n;
      return -1;
    }
  if (strncasecmp (name, "RTMAX", 5) == 0)
    {
      if (name[5] == '\0')
        return SIGRTMAX;
      if (name[5] == '-' && (n = parse_small_int (name + 6, SIGRTMAX - SIGRTMIN)) >= 0)
        return SIGRTMAX - n;
      return -1;
    }
  return -1;
}

const char *
silo_signal_name (int sig)
{
  static const char *const full[] = {
    [SIGABRT] = "SIGABRT", [SIGALRM] = "SIGALRM", [SIGBUS] = "SIGBUS",   [SIGCHLD] = "SIGCHLD",
    [SIGCONT] = "SIGCONT", [SIGFPE] = "SIGFPE",   [SIGHUP] = "SIGHUP",   [SIGILL] = "SIGILL",
    [SIGINT] = "SIGINT",   [SIGIO] = "SIGIO",     [SIGKILL] = "SIGKILL", [SIGPIPE] = "SIGPIPE",
    [SIGPROF] = "SIGPROF", [SIGPWR] = "SIGPWR",   [SIGQUIT] = "SIGQUIT", [SIGSEGV] = "SIGSEGV",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGSTOP] = "SIGSTOP", [SIGSYS] = "SIGSYS", [SIGTERM] = "SIGTERM",
    [SIGTRAP] = "SIGTRAP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
    [SIGURG] = "SIGURG",   [SIGUSR1] = "SIGUSR1", [SIGUSR2] = "SIGUSR2", [SIGVTALRM] = "SIGVTALRM",
    [SIGWINCH] = "SIGWINCH", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
  };
  if (sig <= 0 || (size_t) sig >= ARRAY_SIZE (full))
    return NULL;
  return full[sig];
}
