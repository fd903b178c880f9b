/* silo-runtime: option parsing shared by the command files.  */
#include "commands.h"

#include <getopt.h>
#include <string.h>

int
silo_parse_create_options (int argc, char **argv, bool allow_detach, struct silo_create_options *o,
                           silo_error_t *err)
{
  static const struct option options[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "no-new-keyring", no_argument, NULL, 'k' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset (o, 0, sizeof (*o));
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, ":b:d", options, NULL)) != -1)
    {
      switch (c)
        {
        case 'b':
          o->bundle = optarg;
          break;
        case 'p':
          o->pid_file = optarg;
          break;
        case 'd':
          if (!allow_detach)
            return silo_error_make (err, 0, "%s: unknown option `%s`", argv[0], argv[optind - 1]);
          o->detach = true;
          break;
        case 'k':
          break;
        case ':':
          return silo_error_make (err, 0, "%s: option `%s` needs an argument", argv[0], argv[optind - 1]);
        default:
          return silo_error_make (err, 0, "%s: unknown option `%s`", argv[0], argv[optind - 1]);
        }
    }
  if (optind >= argc)
    return silo_error_make (err, 0, "%s: no container id given", argv[0]);
  if (optind + 1 < argc)
    return silo_error_make (err, 0, "%s: too many arguments (`%s`)", argv[0], argv[optind + 1]);
  o->id = argv[optind];
  return 0;
}

int
silo_parse_id_only (int argc, char **argv, const char **id, silo_error_t *err)
{
  if (argc < 2)
    return silo_error_make (err, 0, "%s: no container id given", argv[0]);
  if (argc > 2)
    return silo_error_make (err, 0, "%s: too many arguments (`%s`)", argv[0], argv[2]);
  if (argv[1][0] == '-')
    return silo_error_make (err, 0, "%s: unknown option `%s`", argv[0], argv[1]);
  *id = argv[1];
  return 0;
}
