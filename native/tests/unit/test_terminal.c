/* Unit tests: pseudo-terminals, control commands and the relay (src/terminal.c), on the host's
 * /dev/ptmx with forked children (no container needed).  */
#include "harness.h"
#include "terminal.h"
#include "utils.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

static void
test_control_parse_resize_and_signal (void)
{
  struct silo_control_command cmd;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_control_parse ("resize 120 40", &cmd, &err), 0);
  CHECK_INT_EQ (cmd.kind, SILO_CONTROL_RESIZE);
  CHECK_INT_EQ (cmd.cols, 120);
  CHECK_INT_EQ (cmd.rows, 40);
  CHECK_INT_EQ (silo_control_parse ("resize\t80  24\r", &cmd, &err), 0);
  CHECK_INT_EQ (cmd.cols, 80);
  CHECK_INT_EQ (cmd.rows, 24);
  CHECK_INT_EQ (silo_control_parse ("signal INT", &cmd, &err), 0);
  CHECK_INT_EQ (cmd.kind, SILO_CONTROL_SIGNAL);
  CHECK_INT_EQ (cmd.signal, SIGINT);
  CHECK_INT_EQ (silo_control_parse ("signal SIGTERM", &cmd, &err), 0);
  CHECK_INT_EQ (cmd.signal, SIGTERM);
  CHECK_INT_EQ (silo_control_parse ("signal 9", &cmd, &err), 0);
  CHECK_INT_EQ (cmd.signal, SIGKILL);
}

static void
check_bad_control (const char *line, const char *want)
{
  struct silo_control_command cmd;
  silo_error_t err = NULL;

  if (silo_control_parse (line, &cmd, &err) >= 0)
    {
      harness_fail (__FILE__, __LINE__, "`%s` was accepted", line);
      return;
    }
  if (strstr (err->msg, want) == NULL)
    harness_fail (__FILE__, __LINE__, "`%s`: message `%s` lacks `%s`", line, err->msg, want);
  silo_error_release (&err);
}

static void
test_control_parse_rejects_bad_lines (void)
{
  check_bad_control ("", "unknown command");
  check_bad_control ("resize", "unknown command");
  check_bad_control ("resize 0 24", "resize COLS ROWS");
  check_bad_control ("resize 80 -1", "resize COLS ROWS");
  check_bad_control ("resize 80 70000", "resize COLS ROWS");
  check_bad_control ("resize 80x24 1", "resize COLS ROWS");
  check_bad_control ("signal NOPE", "unknown signal");
  check_bad_control ("signal 0", "unknown signal");
  check_bad_control ("reboot now", "unknown command");
  check_bad_control ("a b c d e", "too many words");
}

static void
test_open_gives_a_terminal_pair_with_its_size (void)
{
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  silo_error_t err = NULL;
  struct winsize ws;
  char buf[16] = "";

  CHECK_INT_EQ (silo_terminal_open ("/dev/ptmx", &master, &slave, &err), 0);
  CHECK (isatty (slave));
  CHECK ((fcntl (master, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK ((fcntl (slave, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK_INT_EQ (silo_terminal_set_size (slave, 132, 43, &err), 0);
  CHECK_INT_EQ (ioctl (master, TIOCGWINSZ, &ws), 0);
  CHECK_INT_EQ (ws.ws_col, 132);
  CHECK_INT_EQ (ws.ws_row, 43);
  /* 0 leaves a dimension as it is.  */
  CHECK_INT_EQ (silo_terminal_set_size (master, 0, 50, &err), 0);
  CHECK_INT_EQ (ioctl (slave, TIOCGWINSZ, &ws), 0);
  CHECK_INT_EQ (ws.ws_col, 132);
  CHECK_INT_EQ (ws.ws_row, 50);
  /* Bytes flow: slave -> master.  */
  CHECK_INT_EQ (write (slave, "ab", 2), 2);
  CHECK_INT_EQ (read (master, buf, sizeof (buf)), 2);
  CHECK_STR_EQ (buf, "ab");
}

static void
test_open_reports_a_missing_ptmx (void)
{
  int master = -1, slave = -1;
  silo_error_t err = NULL;

  CHECK (silo_terminal_open ("/nonexistent/ptmx", &master, &slave, &err) < 0);
  CHECK (strstr (err->msg, "/nonexistent/ptmx") != NULL);
  CHECK_INT_EQ (err->status, ENOENT);
  silo_error_release (&err);
}

/* A child with the slave as its controlling terminal runs SCRIPT (sh -c); the relay runs with
   IN as its input and a pipe as its output.  *OUT gets what came out, *STATUS the wait status.  */
static int
relay_script (const char *script, int in_fd, int control_fd, char *out, size_t out_size, int *status)
{
  cleanup_close int master = -1;
  int slave = -1, pipefd[2];
  silo_error_t err = NULL;
  struct silo_relay r;
  size_t len = 0;
  ssize_t n;
  pid_t pid;
  int ret;

  if (silo_terminal_open ("/dev/ptmx", &master, &slave, &err) < 0 || pipe (pipefd) < 0)
    return -1;
  silo_terminal_set_size (slave, 77, 11, &err);
  pid = fork ();
  if (pid == 0)
    {
      close (master);
      if (silo_terminal_make_controlling (slave, &err) < 0)
        _exit (126);
      execl ("/bin/sh", "sh", "-c", script, (char *) NULL);
      _exit (127);
    }
  close (slave);
  r = (struct silo_relay) { .pid = pid, .master = master, .in_fd = in_fd, .out_fd = pipefd[1], .control_fd = control_fd };
  ret = silo_relay_run (&r, status, &err);
  close (pipefd[1]);
  while (len + 1 < out_size && (n = read (pipefd[0], out + len, out_size - 1 - len)) > 0)
    len += (size_t) n;
  out[len] = '\0';
  close (pipefd[0]);
  if (ret < 0)
    silo_error_release (&err);
  return ret;
}

static void
test_relay_copies_output_and_passes_the_exit_status (void)
{
  char out[4096];
  int status = 0;
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  CHECK_INT_EQ (relay_script ("test -t 0 && test -t 1 && echo is-a-tty; stty size; exit 3", in, -1, out, sizeof (out), &status), 0);
  CHECK (WIFEXITED (status));
  CHECK_INT_EQ (WEXITSTATUS (status), 3);
  CHECK (strstr (out, "is-a-tty\r\n") != NULL);
  CHECK (strstr (out, "11 77\r\n") != NULL);
}

static void
test_relay_feeds_input_then_end_of_file (void)
{
  char out[4096];
  int status = 0, in[2];

  CHECK_INT_EQ (pipe (in), 0);
  CHECK_INT_EQ (write (in[1], "hello\n", 6), 6);
  close (in[1]);
  /* `cat` ends only if the end of the input reaches it as the terminal's EOF.  */
  CHECK_INT_EQ (relay_script ("read line; echo \"got $line\"; cat; echo cat-done", in[0], -1, out, sizeof (out), &status), 0);
  close (in[0]);
  CHECK_INT_EQ (WEXITSTATUS (status), 0);
  CHECK (strstr (out, "got hello\r\n") != NULL);
  CHECK (strstr (out, "cat-done") != NULL);
}

static void
test_relay_output_written_just_before_exit_is_not_lost (void)
{
  char out[256 * 1024];
  int status = 0;
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  CHECK_INT_EQ (relay_script ("i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done; echo the-end", in, -1, out, sizeof (out), &status), 0);
  CHECK_INT_EQ (WEXITSTATUS (status), 0);
  CHECK (strstr (out, "line-1999\r\nthe-end\r\n") != NULL);
}

static void
test_relay_obeys_control_resize (void)
{
  char out[4096];
  int status = 0, control[2];
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  CHECK_INT_EQ (pipe (control), 0);
  /* A bad line is reported and skipped; the write end stays open (its end would kill).  */
  CHECK (write (control[1], "bogus\nresize 100 40\n", 20) == 20);
  CHECK_INT_EQ (relay_script ("i=0; while [ $i -lt 100 ]; do s=$(stty size); [ \"$s\" = '40 100' ] && { echo \"$s\"; exit 5; }; "
                              "sleep 0.05; i=$((i+1)); done; exit 1",
                              in, control[0], out, sizeof (out), &status),
                0);
  close (control[0]);
  close (control[1]);
  CHECK_INT_EQ (WEXITSTATUS (status), 5);
  CHECK (strstr (out, "40 100\r\n") != NULL);
}

static void
test_relay_obeys_control_signal (void)
{
  char out[256];
  int status = 0, control[2];
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  CHECK_INT_EQ (pipe (control), 0);
  CHECK (write (control[1], "signal TERM\n", 12) == 12);
  CHECK_INT_EQ (relay_script ("exec sleep 30", in, control[0], out, sizeof (out), &status), 0);
  close (control[0]);
  close (control[1]);
  CHECK (WIFSIGNALED (status));
  CHECK_INT_EQ (WTERMSIG (status), SIGTERM);
}

static void
test_relay_end_of_control_kills_the_process (void)
{
  char out[256];
  int status = 0, control[2];
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  CHECK_INT_EQ (pipe (control), 0);
  close (control[1]);
  CHECK_INT_EQ (relay_script ("trap '' TERM HUP; exec sleep 30", in, control[0], out, sizeof (out), &status), 0);
  close (control[0]);
  CHECK (WIFSIGNALED (status));
  CHECK_INT_EQ (WTERMSIG (status), SIGKILL);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_control_parse_resize_and_signal),
    HARNESS_TEST (test_control_parse_rejects_bad_lines),
    HARNESS_TEST (test_open_gives_a_terminal_pair_with_its_size),
    HARNESS_TEST (test_open_reports_a_missing_ptmx),
    HARNESS_TEST (test_relay_copies_output_and_passes_the_exit_status),
    HARNESS_TEST (test_relay_feeds_input_then_end_of_file),
    HARNESS_TEST (test_relay_output_written_just_before_exit_is_not_lost),
    HARNESS_TEST (test_relay_obeys_control_resize),
    HARNESS_TEST (test_relay_obeys_control_signal),
    HARNESS_TEST (test_relay_end_of_control_kills_the_process),
  };
  return harness_main ("terminal", tests, ARRAY_SIZE (tests));
}
