/* silo-runtime delete [--force|-f] ID  */
#include "commands.h"

#include <getopt.h>

int
silo_command_delete (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  static const struct option options[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f", options, NULL)) != -1)
    {
      if (c == 'f')
        force = true;
      else
        return silo_error_make (err, 0, "delete: unknown option `%s`", argv[optind - 1]);
    }
  if (optind + 1 != argc)
    return silo_error_make (err, 0, optind >= argc ? "delete: no container id given" : "delete: too many arguments (usage: delete [--force] ID)");
  return silo_container_delete (global, argv[optind], force, err);
}
