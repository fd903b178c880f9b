/* silo-runtime list [--format table|json] [--quiet|-q]  */
#include "commands.h"

#include <getopt.h>
#include <string.h>

#include "json_writer.h"
#include "status.h"

int
silo_command_list (struct silo_global_arguments *global, int argc, char **argv, silo_error_t *err)
{
  static const struct option options[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  struct silo_json_writer w;
  bool quiet = false;
  char **ids = NULL;
  size_t i;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:q", options, NULL)) != -1)
    {
      if (c == 'f')
        format = optarg;
      else if (c == 'q')
        quiet = true;
      else
        return silo_error_make (err, 0, "list: unknown option or missing argument `%s`", argv[optind - 1]);
    }
  if (optind < argc)
    return silo_error_make (err, 0, "list: takes no arguments");
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return silo_error_make (err, 0, "list: --format must be table or json");
  if (silo_status_list (global->root, &ids, err) < 0)
    return -1;

  if (strcmp (format, "json") == 0)
    {
      silo_json_writer_init (&w, stdout);
      silo_json_begin_array (&w, NULL);
    }
  else if (!quiet)
    printf ("%-24s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  for (i = 0; ids[i]; i++)
    {
      struct silo_container_state state;
      silo_error_t ignored = NULL;
      silo_status_t status;

      if (silo_status_read (global->root, ids[i], &state, &ignored) < 0)
        {
          silo_error_release (&ignored);
          free (ids[i]);
          continue;
        }
      status = silo_status_get (global->root, &state);
      if (strcmp (format, "json") == 0)
        silo_status_write_json (&w, NULL, &state, status);
      else if (quiet)
        printf ("%s\n", state.id);
      else
        printf ("%-24s %-8d %-10s %-40s %s\n", state.id, status == SILO_STATUS_STOPPED ? 0 : (int) state.pid,
                silo_status_name (status), state.bundle ? state.bundle : "", state.created ? state.created : "");
      silo_status_clear (&state);
      free (ids[i]);
    }
  free (ids);
  if (strcmp (format, "json") == 0)
    {
      silo_json_end_array (&w);
      silo_json_writer_finish (&w);
    }
  return 0;
}
