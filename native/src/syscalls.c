/* silo-runtime: the real system call table.  */
#include "syscalls.h"

const struct silo_syscalls silo_real_syscalls = {
  .statfs = statfs,
};
