/* silo-runtime run [--bundle DIR] [--pid-file FILE] [-d|--detach] ID
 * Without -d: wait, delete the container, exit with the process's exit code.  */
#include "commands.h"

int
silo_command_run (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  struct silo_create_options o;

  if (silo_parse_create_options (argc, argv, true, &o, err) < 0)
    return -1;
  return silo_container_create (global, o.id, o.bundle, o.pid_file, o.detach ? SILO_RUN_DETACHED : SILO_RUN, err);
}
