/* silo-runtime: command-line entry point.
 *
 *     silo-runtime [--root DIR] [--log FILE] COMMAND [ARG...]
 *
 * Global options come before the command; the command's own arguments are
 * passed on untouched to its handler (one source file per command).  */
#include "silo-runtime.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"

struct silo_command
{
  const char *name;
  silo_command_handler handler;
  const char *description;
};

/* Alphabetical; the same list is shown by --help and by the unknown-command error.  */
static const struct silo_command commands[] = {
  { "create", silo_command_create, "create a container from a bundle" },
  { "delete", silo_command_delete, "delete a container and its resources" },
  { "exec", silo_command_exec, "run a new process inside a running container" },
  { "features", silo_command_features, "show the features this runtime supports, as JSON" },
  { "idmap-mount", silo_command_idmap_mount, "make an idmapped bind mount (not a runc command)" },
  { "kill", silo_command_kill, "send a signal to a container's init process" },
  { "list", silo_command_list, "list the containers under --root" },
  { "run", silo_command_run, "create and start a container" },
  { "start", silo_command_start, "start a created container" },
  { "state", silo_command_state, "show the state of a container, as JSON" },
  { "version", silo_command_version, "show the version" },
};

enum
{
  OPTION_ROOT = 1000,
  OPTION_LOG,
};

static const struct option long_options[] = {
  { "root", required_argument, NULL, OPTION_ROOT },
  { "log", required_argument, NULL, OPTION_LOG },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'v' },
  { NULL, 0, NULL, 0 },
};

static void
print_usage (FILE *out)
{
  size_t i;

  fprintf (out, "Usage: silo-runtime [OPTION...] COMMAND [ARG...]\n\n"
                "Create and run containers from OCI runtime bundles.\n\n"
                "Commands:\n");
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (out, "  %-12s%s\n", commands[i].name, commands[i].description);
  fprintf (out, "\nOptions:\n"
                "      --root=DIR   directory for container state (default: %s)\n"
                "      --log=FILE   also append error messages to FILE\n"
                "  -h, --help       show this help and exit\n"
                "  -v, --version    show the version and exit\n",
           SILO_DEFAULT_ROOT);
}

static char *
command_list (void)
{
  size_t i, len = 0;
  char *out;

  for (i = 0; i < ARRAY_SIZE (commands); i++)
    len += strlen (commands[i].name) + 2;
  out = xmalloc0 (len + 1);
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    {
      if (i > 0)
        strcat (out, ", ");
      strcat (out, commands[i].name);
    }
  return out;
}

static const struct silo_command *
find_command (const char *name)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Print ERR on stderr, append it to the --log file in logfmt (the format
   of runc's text log), and release it.  */
static void
report_error (struct silo_global_arguments *global_args, silo_error_t *err)
{
  cleanup_free char *msg = silo_error_format (*err);

  fprintf (stderr, "silo-runtime: %s\n", msg);
  if (global_args->log_file)
    {
      char stamp[64] = "";
      struct tm tm;
      time_t now = time (NULL);

      if (gmtime_r (&now, &tm))
        strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
      fprintf (global_args->log_file, "time=\"%s\" level=error msg=", stamp);
      silo_json_write_quoted (global_args->log_file, msg);
      fputc ('\n', global_args->log_file);
      fflush (global_args->log_file);
    }
  silo_error_release (err);
}

static int
parse_global_options (struct silo_global_arguments *global_args, int argc, char **argv,
                      int *exit_now, silo_error_t *err)
{
  int c;

  *exit_now = -1;
  opterr = 0;
  /* '+': stop at the command, whose own options belong to it.
     ':': report a missing option argument as ':' rather than '?'.  */
  while ((c = getopt_long (argc, argv, "+:hv", long_options, NULL)) != -1)
    {
      switch (c)
        {
        case OPTION_ROOT:
          if (optarg[0] == '\0')
            return silo_error_make (err, 0, "--root needs a non-empty directory");
          global_args->root = optarg;
          break;

        case OPTION_LOG:
          if (optarg[0] == '\0')
            return silo_error_make (err, 0, "--log needs a non-empty file name");
          global_args->log = optarg;
          break;

        case 'h':
          print_usage (stdout);
          *exit_now = 0;
          return 0;

        case 'v':
          silo_print_version (stdout);
          *exit_now = 0;
          return 0;

        case ':':
          return silo_error_make (err, 0, "option `%s` needs an argument", argv[optind - 1]);

        default:
          return silo_error_make (err, 0, "unknown option `%s` (try `silo-runtime --help`)",
                                  argv[optind - 1]);
        }
    }
  return 0;
}

static int
open_log (struct silo_global_arguments *global_args, silo_error_t *err)
{
  if (global_args->log == NULL)
    return 0;
  global_args->log_file = fopen (global_args->log, "ae");
  if (global_args->log_file == NULL)
    return silo_error_make (err, errno, "cannot open log file `%s`", global_args->log);
  return 0;
}

static int
run_command (struct silo_global_arguments *global_args, int argc, char **argv, silo_error_t *err)
{
  const struct silo_command *command;

  if (argc < 1)
    return silo_error_make (err, 0, "no command given (try `silo-runtime --help`)");

  command = find_command (argv[0]);
  if (command == NULL)
    {
      cleanup_free char *valid = command_list ();
      return silo_error_make (err, 0, "unknown command `%s` (commands: %s)", argv[0], valid);
    }

  if (command->handler (global_args, argc, argv, err) < 0)
    return -1;

  errno = 0;
  if (fflush (stdout) != 0 || ferror (stdout))
    return silo_error_make (err, errno ? errno : EIO, "cannot write to standard output");
  return 0;
}

int
main (int argc, char **argv)
{
  struct silo_global_arguments global_args = {
    .root = SILO_DEFAULT_ROOT,
    .log = NULL,
    .log_file = NULL,
    .exit_code = 0,
  };
  silo_error_t err = NULL;
  int exit_now;
  int ret;

  ret = parse_global_options (&global_args, argc, argv, &exit_now, &err);
  if (ret == 0 && exit_now >= 0)
    {
      if (fflush (stdout) != 0 || ferror (stdout))
        {
          perror ("silo-runtime: cannot write to standard output");
          return 1;
        }
      return exit_now;
    }
  if (ret == 0)
    ret = open_log (&global_args, &err);
  if (ret == 0)
    ret = run_command (&global_args, argc - optind, argv + optind, &err);

  if (ret < 0)
    {
      report_error (&global_args, &err);
      ret = 1;
    }
  else
    ret = global_args.exit_code;
  if (global_args.log_file)
    fclose (global_args.log_file);
  return ret;
}
