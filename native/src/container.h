/* silo-runtime: container lifecycle (create, start, run, kill, delete, exec) on top of
 * spec.c (config.json), status.c (state directory), linux.c (inside the namespaces) and
 * cgroup.c (limits).  */
#ifndef SILO_CONTAINER_H
#define SILO_CONTAINER_H

#include <stdbool.h>

#include "silo-runtime.h"

enum silo_create_mode
{
  SILO_CREATE,       /* set up, leave the process waiting on exec.fifo */
  SILO_RUN,          /* set up, exec, wait for the exit, delete */
  SILO_RUN_DETACHED, /* set up, exec, return */
};

/* Create container ID from BUNDLE.  For SILO_RUN, GLOBAL->exit_code gets the process's exit
   code (128+N when killed by signal N).  Nothing is left behind on failure.  */
int silo_container_create (struct silo_global_arguments *global, const char *id, const char *bundle,
                           const char *pid_file, enum silo_create_mode mode, silo_error_t *err);

int silo_container_start (struct silo_global_arguments *global, const char *id, silo_error_t *err);
int silo_container_kill (struct silo_global_arguments *global, const char *id, int sig, bool all, silo_error_t *err);
int silo_container_delete (struct silo_global_arguments *global, const char *id, bool force, silo_error_t *err);

struct silo_exec_options
{
  const char *process_file; /* --process */
  const char *cwd;          /* --cwd */
  char **env;               /* --env K=V ..., NULL-terminated */
  const char *user;         /* --user UID[:GID] */
  bool detach;
  const char *pid_file;
  char **args;              /* NULL-terminated, may be empty when process_file is given */
  bool tty;                 /* --tty (or the process file's `terminal`): a pty, relayed */
  unsigned cols, rows;      /* --cols, --rows: its window size (0: default / consoleSize) */
  int control_fd;           /* --control-fd: resize / signal commands (terminal.h), or -1 */
};

int silo_container_exec (struct silo_global_arguments *global, const char *id, const struct silo_exec_options *opts,
                         silo_error_t *err);

/* Write PID to FILE atomically.  */
int silo_write_pid_file (const char *file, pid_t pid, silo_error_t *err);

#endif
