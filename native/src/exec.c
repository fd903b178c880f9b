/* silo-runtime exec [--process FILE] [--cwd DIR] [--env|-e K=V]... [--user|-u UID[:GID]]
 *                   [-d|--detach] [--pid-file FILE] ID [CMD ARG...]  */
#include "commands.h"

#include <getopt.h>

int
silo_command_exec (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  static const struct option options[] = {
    { "process", required_argument, NULL, 'p' }, { "cwd", required_argument, NULL, 'c' },
    { "env", required_argument, NULL, 'e' },     { "user", required_argument, NULL, 'u' },
    { "detach", no_argument, NULL, 'd' },        { "pid-file", required_argument, NULL, 'P' },
    { "tty", no_argument, NULL, 't' },           { NULL, 0, NULL, 0 },
  };
  struct silo_exec_options o = { 0 };
  cleanup_free char **env = xmalloc0 ((size_t) (argc + 1) * sizeof (char *));
  size_t env_len = 0;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:p:e:u:dt", options, NULL)) != -1)
    {
      switch (c)
        {
        case 'p':
          o.process_file = optarg;
          break;
        case 'c':
          o.cwd = optarg;
          break;
        case 'e':
          env[env_len++] = optarg;
          break;
        case 'u':
          o.user = optarg;
          break;
        case 'd':
          o.detach = true;
          break;
        case 'P':
          o.pid_file = optarg;
          break;
        case 't':
          return silo_error_make (err, 0, "exec: --tty is not supported (no console socket)");
        case ':':
          return silo_error_make (err, 0, "exec: option `%s` needs an argument", argv[optind - 1]);
        default:
          return silo_error_make (err, 0, "exec: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (optind >= argc)
    return silo_error_make (err, 0, "exec: no container id given");
  if (o.cwd && o.cwd[0] != '/')
    return silo_error_make (err, 0, "exec: --cwd must be an absolute path");
  o.env = env;
  o.args = argv + optind + 1;
  if (o.process_file == NULL && o.args[0] == NULL)
    return silo_error_make (err, 0, "exec: no command given (usage: exec [OPTION...] ID CMD [ARG...])");
  return silo_container_exec (global, argv[optind], &o, err);
}
