/* silo-runtime start ID  */
#include "commands.h"

int
silo_command_start (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  const char *id;

  if (silo_parse_id_only (argc, argv, &id, err) < 0)
    return -1;
  return silo_container_start (global, id, err);
}
