/* silo-runtime exec [--process FILE] [--cwd DIR] [--env|-e K=V]... [--user|-u UID[:GID]]
 *                   [-d|--detach] [--pid-file FILE] [-t|--tty [--cols N] [--rows N]]
 *                   [--control-fd FD] ID [CMD ARG...]  */
#include "commands.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>

static int
parse_number (const char *option, const char *value, long min, long max, long *out, silo_error_t *err)
{
  char *end = NULL;
  long v;

  errno = 0;
  v = strtol (value, &end, 10);
  if (errno || end == value || *end != '\0' || v < min || v > max)
    return silo_error_make (err, 0, "exec: %s wants a number from %ld to %ld, not `%s`", option, min, max, value);
  *out = v;
  return 0;
}

int
silo_command_exec (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  static const struct option options[] = {
    { "process", required_argument, NULL, 'p' }, { "cwd", required_argument, NULL, 'c' },
    { "env", required_argument, NULL, 'e' },     { "user", required_argument, NULL, 'u' },
    { "detach", no_argument, NULL, 'd' },        { "pid-file", required_argument, NULL, 'P' },
    { "tty", no_argument, NULL, 't' },           { "cols", required_argument, NULL, 'C' },
    { "rows", required_argument, NULL, 'R' },    { "control-fd", required_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  struct silo_exec_options o = { .control_fd = -1 };
  long number;
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
          o.tty = true;
          break;
        case 'C':
        case 'R':
          if (parse_number (c == 'C' ? "--cols" : "--rows", optarg, 1, 65535, &number, err) < 0)
            return -1;
          *(c == 'C' ? &o.cols : &o.rows) = (unsigned) number;
          break;
        case 'F':
          if (parse_number ("--control-fd", optarg, 0, INT_MAX, &number, err) < 0)
            return -1;
          if (fcntl ((int) number, F_GETFD) < 0)
            return silo_error_make (err, errno, "exec: --control-fd %ld", number);
          o.control_fd = (int) number;
          break;
        case ':':
          return silo_error_make (err, 0, "exec: option `%s` needs an argument", argv[optind - 1]);
        default:
          return silo_error_make (err, 0, "exec: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (optind >= argc)
    return silo_error_make (err, 0, "exec: no container id given");
  if ((o.cols || o.rows) && !o.tty)
    return silo_error_make (err, 0, "exec: --cols and --rows need --tty");
  if (o.control_fd >= 0 && o.detach)
    return silo_error_make (err, 0, "exec: --control-fd and --detach do not mix (nobody would read it)");
  if (o.cwd && o.cwd[0] != '/')
    return silo_error_make (err, 0, "exec: --cwd must be an absolute path");
  o.env = env;
  o.args = argv + optind + 1;
  if (o.process_file == NULL && o.args[0] == NULL)
    return silo_error_make (err, 0, "exec: no command given (usage: exec [OPTION...] ID CMD [ARG...])");
  return silo_container_exec (global, argv[optind], &o, err);
}
