/* silo-runtime kill [--all|-a] ID [SIGNAL]  */
#include "commands.h"

#include <getopt.h>
#include <signal.h>

#include "linux_defs.h"

int
silo_command_kill (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  static const struct option options[] = {
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int c, sig = SIGTERM;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+a", options, NULL)) != -1)
    {
      if (c == 'a')
        all = true;
      else
        return silo_error_make (err, 0, "kill: unknown option `%s`", argv[optind - 1]);
    }
  if (optind >= argc)
    return silo_error_make (err, 0, "kill: no container id given (usage: kill [--all] ID [SIGNAL])");
  if (optind + 2 < argc)
    return silo_error_make (err, 0, "kill: too many arguments");
  if (optind + 1 < argc)
    {
      sig = silo_signal_parse (argv[optind + 1]);
      if (sig < 0)
        return silo_error_make (err, 0, "kill: unknown signal `%s`", argv[optind + 1]);
    }
  return silo_container_kill (global, argv[optind], sig, all, err);
}
