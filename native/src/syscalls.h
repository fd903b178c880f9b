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

#include <sys/vfs.h>

struct silo_syscalls
{
  int (*statfs) (const char *path, struct statfs *buf);
};

/* The real system calls.  */
extern const struct silo_syscalls silo_real_syscalls;

/* SYS, or the real system calls if SYS is NULL.  */
static inline const struct silo_syscalls *
silo_syscalls_or_real (const struct silo_syscalls *sys)
{
  return sys ? sys : &silo_real_syscalls;
}

#endif
