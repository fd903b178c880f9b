/* silo-runtime: the system calls that code under test must not make for real.
 *
 * Code that inspects the host (which filesystem is mounted where, and later
 * mount, pivot_root, ...) calls through a `struct silo_syscalls` instead of
 * calling libc directly, so a unit test can pass a fake table (the same idea
 * as youki's Syscall trait).  Every member has the signature and the
 * -1-and-errno convention of the libc function it stands for.  Passing NULL
 * where a `const struct silo_syscalls *` is expected means the real ones.  */
#ifndef SILO_SYSCALLS_H
#define SILO_SYSCALLS_H

#include <sys/types.h>
#include <sys/vfs.h>

/* A member left NULL in a fake table means the real call (code calls the members through the
   silo_sys_* helpers below when it accepts that).  */
struct silo_syscalls
{
  int (*statfs) (const char *path, struct statfs *buf);
  int (*mkdir) (const char *path, mode_t mode);
  int (*rmdir) (const char *path);
  int (*kill) (pid_t pid, int sig);
};

/* The real system calls.  */
extern const struct silo_syscalls silo_real_syscalls;

/* SYS, or the real system calls if SYS is NULL.  */
static inline const struct silo_syscalls *
silo_syscalls_or_real (const struct silo_syscalls *sys)
{
  return sys ? sys : &silo_real_syscalls;
}

static inline int
silo_sys_mkdir (const struct silo_syscalls *sys, const char *path, mode_t mode)
{
  sys = silo_syscalls_or_real (sys);
  return sys->mkdir ? sys->mkdir (path, mode) : silo_real_syscalls.mkdir (path, mode);
}

static inline int
silo_sys_rmdir (const struct silo_syscalls *sys, const char *path)
{
  sys = silo_syscalls_or_real (sys);
  return sys->rmdir ? sys->rmdir (path) : silo_real_syscalls.rmdir (path);
}

static inline int
silo_sys_kill (const struct silo_syscalls *sys, pid_t pid, int sig)
{
  sys = silo_syscalls_or_real (sys);
  return sys->kill ? sys->kill (pid, sig) : silo_real_syscalls.kill (pid, sig);
}

#endif
