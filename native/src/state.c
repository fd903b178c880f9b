/* silo-runtime state ID: runc-style JSON.  */
#include "commands.h"

#include "json_writer.h"
#include "status.h"

int
silo_command_state (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  struct silo_container_state state;
  struct silo_json_writer w;
  const char *id;

  if (silo_parse_id_only (argc, argv, &id, err) < 0)
    return -1;
  if (silo_status_read (global->root, id, &state, err) < 0)
    return -1;
  silo_json_writer_init (&w, stdout);
  silo_status_write_json (&w, NULL, &state, silo_status_get (global->root, &state));
  silo_json_writer_finish (&w);
  silo_status_clear (&state);
  return 0;
}
