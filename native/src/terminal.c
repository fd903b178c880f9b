/* silo-runtime: pseudo-terminals and the relay (see terminal.h).  */
#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "linux_defs.h"

#ifndef TIOCGPTPEER
#  define TIOCGPTPEER _IO ('T', 0x41)
#endif

#define RELAY_BUFFER 16384
#define CONTROL_LINE_MAX 256
/* After the process exited: how long output may still trickle in (a process it left behind
   that holds the terminal open), and how long a quiet terminal is taken as done.  */
#define DRAIN_QUIET_MS 100
#define DRAIN_MAX_MS 2000

int
silo_terminal_open (const char *ptmx, int *master, int *slave, silo_error_t *err)
{
  cleanup_close int m = -1;
  int unlock = 0, s;

  m = open (ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return silo_error_make (err, errno, "cannot open `%s` (no devpts?)", ptmx);
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return silo_error_make (err, errno, "cannot unlock the pseudo-terminal");
  /* The peer through the master, not by name: nothing in the container can swap the path.  */
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      char name[64];
      int n;
      if (ioctl (m, TIOCGPTN, &n) < 0)
        return silo_error_make (err, errno, "cannot get the pseudo-terminal's number");
      snprintf (name, sizeof (name), "/dev/pts/%d", n);
      s = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (s < 0)
        return silo_error_make (err, errno, "cannot open `%s`", name);
    }
  *slave = s;
  *master = m;
  m = -1;
  return 0;
}

int
silo_terminal_set_size (int fd, unsigned cols, unsigned rows, silo_error_t *err)
{
  struct winsize ws;

  if (cols == 0 && rows == 0)
    return 0;
  if (cols > 0xffff || rows > 0xffff)
    return silo_error_make (err, EINVAL, "window size %ux%u is too large", cols, rows);
  memset (&ws, 0, sizeof (ws));
  if (ioctl (fd, TIOCGWINSZ, &ws) < 0)
    return silo_error_make (err, errno, "cannot read the window size");
  if (cols)
    ws.ws_col = (unsigned short) cols;
  if (rows)
    ws.ws_row = (unsigned short) rows;
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return silo_error_make (err, errno, "cannot set the window size");
  return 0;
}

int
silo_terminal_make_controlling (int slave, silo_error_t *err)
{
  int fd;

  /* A session of its own (the container's init already leads one).  */
  if (setsid () < 0 && getsid (0) != getpid ())
    return silo_error_make (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return silo_error_make (err, errno, "cannot make the pseudo-terminal the controlling terminal");
  for (fd = 0; fd <= 2; fd++)
    if (fd != slave && dup2 (slave, fd) < 0)
      return silo_error_make (err, errno, "dup2 the pseudo-terminal to fd %d", fd);
  if (slave > 2)
    close (slave);
  return 0;
}

static int
parse_uint (const char *s, unsigned max, unsigned *out)
{
  char *end = NULL;
  unsigned long v;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoul (s, &end, 10);
  if (errno || *end != '\0' || v > max)
    return -1;
  *out = (unsigned) v;
  return 0;
}

int
silo_control_parse (const char *line, struct silo_control_command *out, silo_error_t *err)
{
  char buf[CONTROL_LINE_MAX];
  char *words[4], *save = NULL, *w;
  size_t n = 0, len = strlen (line);

  if (len >= sizeof (buf))
    return silo_error_make (err, EINVAL, "control: line too long");
  memcpy (buf, line, len + 1);
  if (len > 0 && buf[len - 1] == '\r')
    buf[len - 1] = '\0';
  for (w = strtok_r (buf, " \t", &save); w; w = strtok_r (NULL, " \t", &save))
    {
      if (n == ARRAY_SIZE (words))
        return silo_error_make (err, EINVAL, "control: too many words in `%s`", line);
      words[n++] = w;
    }
  memset (out, 0, sizeof (*out));
  if (n == 3 && strcmp (words[0], "resize") == 0)
    {
      out->kind = SILO_CONTROL_RESIZE;
      if (parse_uint (words[1], 0xffff, &out->cols) < 0 || parse_uint (words[2], 0xffff, &out->rows) < 0
          || out->cols == 0 || out->rows == 0)
        return silo_error_make (err, EINVAL, "control: want `resize COLS ROWS` (1..65535), got `%s`", line);
      return 0;
    }
  if (n == 2 && strcmp (words[0], "signal") == 0)
    {
      out->kind = SILO_CONTROL_SIGNAL;
      out->signal = silo_signal_parse (words[1]);
      if (out->signal <= 0)
        return silo_error_make (err, EINVAL, "control: unknown signal `%s`", words[1]);
      return 0;
    }
  return silo_error_make (err, EINVAL, "control: unknown command `%s`", line);
}

/* ---- the relay ----  */

static volatile sig_atomic_t winch_pending = 0;

static void
on_winch (int sig)
{
  (void) sig;
  winch_pending = 1;
}

/* Write all of BUF to FD (blocking or not: waits for POLLOUT).  */
static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0)
        {
          struct pollfd p = { .fd = fd, .events = POLLOUT };
          if (errno == EINTR)
            continue;
          if (errno != EAGAIN)
            return -1;
          poll (&p, 1, 1000);
          continue;
        }
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Copy what the master has to OUT (dropped when OUT is closed).  Returns the bytes read, 0 when
   nothing was there, -1 when the terminal is gone (EIO: no slave is open any more).  */
static ssize_t
pump_output (int master, int out_fd, bool *out_open)
{
  char buf[RELAY_BUFFER];
  ssize_t n;

  do
    n = read (master, buf, sizeof (buf));
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return 0;
  if (n <= 0)
    return -1;
  if (*out_open && write_all (out_fd, buf, (size_t) n) < 0)
    *out_open = false;
  return n;
}

static void
obey (const struct silo_relay *r, const char *line)
{
  struct silo_control_command cmd;
  silo_error_t err = NULL;

  if (silo_control_parse (line, &cmd, &err) < 0)
    {
      cleanup_free char *msg = silo_error_format (err);
      fprintf (stderr, "silo-runtime: %s\n", msg);
      silo_error_release (&err);
      return;
    }
  if (cmd.kind == SILO_CONTROL_SIGNAL)
    kill (r->pid, cmd.signal);
  else if (r->master >= 0 && silo_terminal_set_size (r->master, cmd.cols, cmd.rows, &err) < 0)
    silo_error_release (&err);
}

/* Read what the control fd has; run each complete line.  Returns false at end of file.  */
static bool
read_control (const struct silo_relay *r, char *line, size_t *len, bool *overlong)
{
  char buf[512];
  ssize_t n, i;

  do
    n = read (r->control_fd, buf, sizeof (buf));
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return true;
  if (n <= 0)
    return false;
  for (i = 0; i < n; i++)
    {
      if (buf[i] == '\n')
        {
          line[*len] = '\0';
          if (!*overlong && *len > 0)
            obey (r, line);
          *len = 0;
          *overlong = false;
        }
      else if (*len + 1 < CONTROL_LINE_MAX)
        line[(*len)++] = buf[i];
      else
        *overlong = true;
    }
  return true;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

int
silo_relay_run (const struct silo_relay *r, int *wait_status, silo_error_t *err)
{
  cleanup_close int pidfd = -1;
  char in_buf[RELAY_BUFFER];
  size_t in_len = 0, in_off = 0;
  char control_line[CONTROL_LINE_MAX];
  size_t control_len = 0;
  bool control_overlong = false;
  bool master_open = r->master >= 0;
  bool in_open = r->master >= 0 && r->in_fd >= 0;
  bool eof_pending = false;
  bool control_open = r->control_fd >= 0;
  bool out_open = r->out_fd >= 0;
  bool raw = false;
  struct termios saved_termios;
  struct sigaction sa, old_winch, old_pipe;
  sigset_t block, orig_mask;
  int status = 0, ret = 0;
  long long deadline;

  pidfd = (int) syscall (SYS_pidfd_open, r->pid, 0);

  memset (&sa, 0, sizeof (sa));
  sigemptyset (&sa.sa_mask);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, &old_pipe);
  sigemptyset (&block);
  if (r->master >= 0)
    {
      /* SIGWINCH resizes our terminal, it does not go to the process (the kernel tells the
         process's foreground group itself).  Blocked but in ppoll, so none is lost between a
         check and the wait.  */
      sa.sa_handler = on_winch;
      sigaction (SIGWINCH, &sa, &old_winch);
      sigaddset (&block, SIGWINCH);
    }
  sigprocmask (SIG_BLOCK, &block, &orig_mask);
  winch_pending = 0;

  if (r->master >= 0)
    {
      set_nonblocking (r->master);
      if (r->in_fd >= 0 && isatty (r->in_fd) && tcgetattr (r->in_fd, &saved_termios) == 0)
        {
          struct termios t = saved_termios;
          cfmakeraw (&t);
          raw = tcsetattr (r->in_fd, TCSANOW, &t) == 0;
          winch_pending = 1; /* take the size of the caller's terminal */
        }
    }
  if (control_open)
    set_nonblocking (r->control_fd);

  for (;;)
    {
      struct pollfd fds[4];
      int nfds = 0, i_pid = -1, i_master = -1, i_in = -1, i_control = -1, n;
      struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000000 };
      pid_t w;

      do
        w = waitpid (r->pid, &status, WNOHANG);
      while (w < 0 && errno == EINTR);
      if (w == r->pid)
        break;
      if (w < 0)
        {
          ret = silo_error_make (err, errno, "waitpid %d", (int) r->pid);
          goto out;
        }

      if (winch_pending)
        {
          struct winsize ws;
          winch_pending = 0;
          if (raw && ioctl (r->in_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row)
            ioctl (r->master, TIOCSWINSZ, &ws);
        }

      if (pidfd >= 0)
        {
          i_pid = nfds;
          fds[nfds++] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        }
      if (master_open)
        {
          i_master = nfds;
          fds[nfds++] = (struct pollfd) { .fd = r->master,
                                          .events = POLLIN | (in_len > in_off || eof_pending ? POLLOUT : 0) };
        }
      if (in_open && in_len == in_off && !eof_pending)
        {
          i_in = nfds;
          fds[nfds++] = (struct pollfd) { .fd = r->in_fd, .events = POLLIN };
        }
      if (control_open)
        {
          i_control = nfds;
          fds[nfds++] = (struct pollfd) { .fd = r->control_fd, .events = POLLIN };
        }
      n = ppoll (fds, (nfds_t) nfds, pidfd >= 0 ? NULL : &tick, &orig_mask);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          ret = silo_error_make (err, errno, "poll");
          goto out;
        }
      (void) i_pid;

      if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          if (pump_output (r->master, r->out_fd, &out_open) < 0)
            master_open = false; /* no slave left: nothing to relay any more */
        }
      if (i_master >= 0 && master_open && (fds[i_master].revents & POLLOUT))
        {
          if (in_len > in_off)
            {
              ssize_t wr = write (r->master, in_buf + in_off, in_len - in_off);
              if (wr > 0)
                in_off += (size_t) wr;
              else if (wr < 0 && errno != EAGAIN && errno != EINTR)
                in_off = in_len; /* the terminal is gone: drop the input */
              if (in_off == in_len)
                in_off = in_len = 0;
            }
          else if (eof_pending)
            {
              /* The terminal's end-of-file character: a read on an empty line returns 0.  */
              struct termios t;
              char veof = tcgetattr (r->master, &t) == 0 && t.c_cc[VEOF] ? (char) t.c_cc[VEOF] : '\004';
              if (write (r->master, &veof, 1) == 1 || errno != EAGAIN)
                eof_pending = false;
            }
        }
      if (i_in >= 0 && (fds[i_in].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          ssize_t rd = read (r->in_fd, in_buf, sizeof (in_buf));
          if (rd > 0)
            {
              in_len = (size_t) rd;
              in_off = 0;
            }
          else if (rd == 0 || (errno != EINTR && errno != EAGAIN))
            {
              in_open = false;
              eof_pending = true;
            }
        }
      if (i_control >= 0 && (fds[i_control].revents & (POLLIN | POLLHUP | POLLERR))
          && !read_control (r, control_line, &control_len, &control_overlong))
        {
          /* The caller is gone (or closed the control fd): the process goes too.  */
          control_open = false;
          kill (r->pid, SIGKILL);
        }
    }

  /* The process has exited: what it wrote may still be on its way through the terminal.  */
  deadline = now_ms () + DRAIN_MAX_MS;
  while (master_open && now_ms () < deadline)
    {
      struct pollfd p = { .fd = r->master, .events = POLLIN };
      int n = poll (&p, 1, DRAIN_QUIET_MS);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || pump_output (r->master, r->out_fd, &out_open) < 0)
        break;
    }
  *wait_status = status;

out:
  if (raw)
    tcsetattr (r->in_fd, TCSANOW, &saved_termios);
  sigprocmask (SIG_SETMASK, &orig_mask, NULL);
  if (r->master >= 0)
    sigaction (SIGWINCH, &old_winch, NULL);
  sigaction (SIGPIPE, &old_pipe, NULL);
  return ret;
}
