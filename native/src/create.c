/* silo-runtime create [--bundle DIR] [--pid-file FILE] ID  */
#include "commands.h"

int
silo_command_create (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  struct silo_create_options o;

  if (silo_parse_create_options (argc, argv, false, &o, err) < 0)
    return -1;
  return silo_container_create (global, o.id, o.bundle, o.pid_file, SILO_CREATE, err);
}
