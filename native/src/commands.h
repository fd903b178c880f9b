/* silo-runtime: what the command files (create.c, run.c, ...) share.  */
#ifndef SILO_COMMANDS_H
#define SILO_COMMANDS_H

#include <stdbool.h>

#include "container.h"
#include "silo-runtime.h"

struct silo_create_options
{
  const char *bundle;
  const char *pid_file;
  bool detach;
  const char *id;
};

/* [--bundle|-b DIR] [--pid-file FILE] [-d|--detach (when ALLOW_DETACH)] ID  */
int silo_parse_create_options (int argc, char **argv, bool allow_detach, struct silo_create_options *o,
                               silo_error_t *err);

/* Exactly one argument, the id.  */
int silo_parse_id_only (int argc, char **argv, const char **id, silo_error_t *err);

#endif
