/* silo-runtime: what main.c shares with the command implementations
 * (one source file per command, as in crun: version.c, features.c, ...).  */
#ifndef SILO_RUNTIME_H
#define SILO_RUNTIME_H

#include <stdio.h>

#include "utils.h"

#ifndef SILO_RUNTIME_VERSION
#  define SILO_RUNTIME_VERSION "0.1.0"
#endif

/* The OCI runtime-spec versions this runtime follows.  */
#define SILO_OCI_VERSION_MIN "1.0.0"
#define SILO_OCI_VERSION_MAX "1.2.0"

#define SILO_DEFAULT_ROOT "/run/silo-runtime"

/* Options given before the command.  */
struct silo_global_arguments
{
  const char *root; /* --root: where container state lives.  */
  const char *log;  /* --log: file that errors are also appended to, or NULL.  */
  FILE *log_file;   /* open stream for LOG, or NULL.  */
  int exit_code;    /* what main returns when the command succeeds (run, exec: the process's).  */
};

/* A command gets ARGV[0] = its own name and ARGV[1..] = its arguments.
   It returns 0 on success, or fills *ERR and returns < 0.  */
typedef int (*silo_command_handler) (struct silo_global_arguments *global_args, int argc,
                                     char **argv, silo_error_t *err);

int silo_command_version (struct silo_global_arguments *global_args, int argc, char **argv,
                          silo_error_t *err);
int silo_command_features (struct silo_global_arguments *global_args, int argc, char **argv,
                           silo_error_t *err);

int silo_command_create (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_start (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_run (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_state (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_kill (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_delete (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_exec (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_list (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);
int silo_command_idmap_mount (struct silo_global_arguments *global_args, int argc, char **argv,
                       silo_error_t *err);

/* Print the version block shared by `--version` and `version`.  */
void silo_print_version (FILE *out);

#endif
