/* silo-runtime: the OCI runtime commands that are recognized but not written
 * yet.  Each one moves to its own file (run.c, create.c, ...) when it is
 * implemented; until then it fails clearly instead of pretending.  */
#include "silo-runtime.h"

int
silo_command_unimplemented (struct silo_global_arguments *global_args __attribute__ ((unused)),
                            int argc __attribute__ ((unused)), char **argv, silo_error_t *err)
{
  return silo_error_make (err, 0, "command `%s` is not implemented yet", argv[0]);
}
