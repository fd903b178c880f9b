/* silo-runtime: pseudo-terminals and the runtime's side of an interactive process (`exec --tty`,
 * `run` with `process.terminal: true`).
 *
 * The pty pair is opened inside the container (its /dev/ptmx, on its own devpts instance) by the
 * child, which sends the master to the runtime over the sync socket (SCM_RIGHTS) and makes the
 * slave its controlling terminal and standard streams.  The runtime then relays: its stdin → the
 * master, the master → its stdout, until the process exits.
 *
 * Control fd (`--control-fd N`, with or without a terminal): newline-terminated text commands
 *     resize COLS ROWS      set the terminal's window size (the process gets SIGWINCH)
 *     signal SIG            send SIG (a number or a name: INT, SIGTERM) to the process
 * End of file on the control fd means the caller is gone: the process is killed (SIGKILL).  */
#ifndef SILO_TERMINAL_H
#define SILO_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "utils.h"

/* Open a pty pair from PTMX (normally "/dev/ptmx", in the current mount namespace): *MASTER and
   *SLAVE, both close-on-exec, the master non-blocking.  */
int silo_terminal_open (const char *ptmx, int *master, int *slave, silo_error_t *err);

/* Set the window size of the terminal FD (either end).  0 columns or rows: leave it.  */
int silo_terminal_set_size (int fd, unsigned cols, unsigned rows, silo_error_t *err);

/* In the child: a new session with SLAVE as controlling terminal and stdin/stdout/stderr.
   SLAVE is closed afterwards (unless it is 0, 1 or 2).  */
int silo_terminal_make_controlling (int slave, silo_error_t *err);

enum silo_control_kind
{
  SILO_CONTROL_RESIZE,
  SILO_CONTROL_SIGNAL,
};

struct silo_control_command
{
  enum silo_control_kind kind;
  unsigned cols, rows; /* resize */
  int signal;          /* signal */
};

/* Parse one control line (without its newline).  */
int silo_control_parse (const char *line, struct silo_control_command *out, silo_error_t *err);

/* What the runtime does while its process runs.  */
struct silo_relay
{
  pid_t pid;      /* the process (a child of ours) */
  int master;     /* pty master, or -1: no terminal (the process has our stdio) */
  int in_fd;      /* relayed to MASTER (with a terminal), usually 0 */
  int out_fd;     /* MASTER is relayed here, usually 1 */
  int control_fd; /* control commands, or -1 */
};

/* Relay and obey control commands until R->PID exits; *WAIT_STATUS is its waitpid status.  With
   a terminal whose IN_FD is a terminal too (a person at a shell), IN_FD is put in raw mode for the
   time being and the window size follows it (SIGWINCH).  End of file on IN_FD reaches the process
   as the terminal's end-of-file character (^D).  Output the process wrote before it exited is
   relayed in full.  The caller forwards the signals the runtime gets.  */
int silo_relay_run (const struct silo_relay *r, int *wait_status, silo_error_t *err);

#endif
