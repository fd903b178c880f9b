/* silo-runtime version: print the runtime and OCI runtime-spec versions.  */
#include "silo-runtime.h"

void
silo_print_version (FILE *out)
{
  fprintf (out, "silo-runtime version %s\n", SILO_RUNTIME_VERSION);
  fprintf (out, "spec: %s\n", SILO_OCI_VERSION_MAX);
}

int
silo_command_version (struct silo_global_arguments *global_args __attribute__ ((unused)), int argc,
                      char **argv, silo_error_t *err)
{
  if (argc > 1)
    return silo_error_make (err, 0, "`version` takes no arguments (got `%s`)", argv[1]);
  silo_print_version (stdout);
  return 0;
}
