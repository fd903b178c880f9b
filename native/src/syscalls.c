/* silo-runtime: the real system call table.  */
#include "syscalls.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

const struct silo_syscalls silo_real_syscalls = {
  .statfs = statfs,
  .mkdir = mkdir,
  .rmdir = rmdir,
  .kill = kill,
};
