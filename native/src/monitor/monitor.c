/* silo-monitor: one small process per container, like conmon (see native/INTERFACE.md).
 *
 *   silo-monitor --runtime PATH [--runtime-root DIR] --bundle DIR --id ID
 *                --log-file FILE [--log-max-bytes N] [--log-max-files N]
 *                --exit-file FILE [--oom-file FILE] [--pid-file FILE]
 *
 * The process the agent spawns forks; the child starts a new session and forks again; that
 * grandchild is the monitor.  It becomes a child subreaper, runs `RUNTIME run -d` with stdin
 * /dev/null and stdout/stderr on two pipes, and reports "the container runs with pid N" (or the
 * runtime's error) back over a status pipe, upon which the original process prints the pid and
 * exits.  Then the monitor copies the container's output into a CRI log file, reaps orphans, and
 * when the container's process exits writes the exit file and exits.
 *
 * Single-threaded, one poll() loop over the two pipes and a signalfd; static buffers only (two
 * 16 KiB line buffers, touched only as far as lines are long).  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_BYTES (16 * 1024) /* a longer line is cut into `P` records of this size */
#define MSG_BYTES 3072         /* the runtime's error message, as relayed to the agent */

static struct
{
  const char *runtime;
  const char *runtime_root;
  const char *bundle;
  const char *id;
  const char *log_file;
  long long log_max_bytes;
  long log_max_files;
  const char *exit_file;
  const char *oom_file;
  const char *pid_file;
} opt = { .log_max_bytes = 10 * 1024 * 1024, .log_max_files = 3 };

/* ---- small helpers ---- */

static size_t
format_time (char *out, size_t size, const struct timespec *ts)
{
  struct tm tm;
  int n;

  gmtime_r (&ts->tv_sec, &tm);
  n = snprintf (out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) ts->tv_nsec);
  return n < 0 ? 0 : (size_t) n;
}

static int
write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Write DATA to PATH atomically: PATH.tmp, fsync, rename.  */
static int
write_file_atomic (const char *path, const char *data, size_t len)
{
  char tmp[PATH_MAX];
  int fd, saved;

  if ((size_t) snprintf (tmp, sizeof (tmp), "%s.tmp", path) >= sizeof (tmp))
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  if (write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      saved = errno;
      close (fd);
      unlink (tmp);
      errno = saved;
      return -1;
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      saved = errno;
      unlink (tmp);
      errno = saved;
      return -1;
    }
  return 0;
}

static ssize_t
read_small_file (const char *path, char *buf, size_t size)
{
  size_t total = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return -1;
  while (total < size - 1)
    {
      ssize_t n = read (fd, buf + total, size - 1 - total);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      total += (size_t) n;
    }
  close (fd);
  buf[total] = '\0';
  return (ssize_t) total;
}

/* The `oom_kill N` counter in FILE (v2 memory.events, v1 memory.oom_control); -1 if unknown.  */
static long long
read_oom_kill (const char *file)
{
  char buf[1024];
  const char *p;

  if (file == NULL || read_small_file (file, buf, sizeof (buf)) <= 0)
    return -1;
  for (p = buf; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, "oom_kill ", 9) == 0)
      return strtoll (p + 9, NULL, 10);
  return -1;
}

/* ---- the status pipe back to the process the agent spawned ---- */

static int status_fd = -1;

/* Tell the waiting parent: 'O' + pid, or 'E' + message.  One write (< PIPE_BUF): atomic.  */
static void
report (char kind, const char *text)
{
  char buf[MSG_BYTES + 2];
  size_t len;

  if (status_fd < 0)
    return;
  len = (size_t) snprintf (buf, sizeof (buf), "%c%s", kind, text);
  if (len >= sizeof (buf))
    len = sizeof (buf) - 1;
  (void) write_all (status_fd, buf, len);
  close (status_fd);
  status_fd = -1;
}

static void __attribute__ ((noreturn, format (printf, 1, 2)))
fail (const char *fmt, ...)
{
  char msg[MSG_BYTES];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  report ('E', msg);
  _exit (1);
}

/* ---- the log ---- */

static int log_fd = -1;
static long long log_size;
static bool log_created;

static int
log_open (bool truncate)
{
  struct stat st;

  log_fd = open (opt.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0640);
  if (log_fd < 0)
    return -1;
  log_size = fstat (log_fd, &st) == 0 ? (long long) st.st_size : 0;
  return 0;
}

/* FILE -> FILE.1 -> ... -> FILE.(max_files - 1); the oldest is dropped.  */
static void
log_rotate (void)
{
  char from[PATH_MAX], to[PATH_MAX];
  long i;

  close (log_fd);
  log_fd = -1;
  if (opt.log_max_files > 1)
    {
      snprintf (to, sizeof (to), "%s.%ld", opt.log_file, opt.log_max_files - 1);
      unlink (to);
      for (i = opt.log_max_files - 2; i >= 1; i--)
        {
          snprintf (from, sizeof (from), "%s.%ld", opt.log_file, i);
          snprintf (to, sizeof (to), "%s.%ld", opt.log_file, i + 1);
          rename (from, to);
        }
      snprintf (to, sizeof (to), "%s.1", opt.log_file);
      rename (opt.log_file, to);
    }
  /* Whatever happened above, go on logging into a fresh FILE.  */
  if (log_open (true) < 0)
    log_fd = -1;
}

static void
log_record (const char *stream, char tag, const char *data, size_t len)
{
  char head[80];
  struct timespec now;
  struct iovec iov[3];
  size_t hlen, total, done;
  ssize_t n;
  int i;

  clock_gettime (CLOCK_REALTIME, &now);
  hlen = format_time (head, sizeof (head), &now);
  hlen += (size_t) snprintf (head + hlen, sizeof (head) - hlen, " %s %c ", stream, tag);
  total = hlen + len + 1;

  if (opt.log_max_bytes > 0 && log_size > 0 && log_size + (long long) total > opt.log_max_bytes)
    log_rotate ();
  if (log_fd < 0)
    return;

  iov[0] = (struct iovec) { head, hlen };
  iov[1] = (struct iovec) { (void *) data, len };
  iov[2] = (struct iovec) { (void *) "\n", 1 };
  for (done = 0, i = 0; done < total;)
    {
      n = writev (log_fd, iov + i, 3 - i);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break; /* disk full or similar: drop the record, keep the container running */
        }
      done += (size_t) n;
      while (i < 3 && (size_t) n >= iov[i].iov_len)
        n -= (ssize_t) iov[i++].iov_len;
      if (i < 3)
        {
          iov[i].iov_base = (char *) iov[i].iov_base + n;
          iov[i].iov_len -= (size_t) n;
        }
    }
  log_size += (long long) done;
}

/* ---- the container's two output streams ---- */

struct stream
{
  const char *name;
  int fd;
  size_t len;
  char buf[LINE_BYTES];
};

static struct stream streams[2] = { { .name = "stdout", .fd = -1 }, { .name = "stderr", .fd = -1 } };

/* Log every complete line in S's buffer; a full buffer without a newline becomes a `P` record.  */
static void
stream_lines (struct stream *s)
{
  size_t start = 0;
  char *nl;

  while ((nl = memchr (s->buf + start, '\n', s->len - start)) != NULL)
    {
      size_t l = (size_t) (nl - (s->buf + start));
      log_record (s->name, 'F', s->buf + start, l);
      start += l + 1;
    }
  if (start > 0)
    {
      memmove (s->buf, s->buf + start, s->len - start);
      s->len -= start;
    }
  if (s->len == sizeof (s->buf))
    {
      log_record (s->name, 'P', s->buf, s->len);
      s->len = 0;
    }
}

static void
stream_close (struct stream *s)
{
  if (s->len > 0)
    log_record (s->name, 'P', s->buf, s->len);
  s->len = 0;
  if (s->fd >= 0)
    close (s->fd);
  s->fd = -1;
}

/* Read at most MAX bytes of what S has now (non-blocking) and log the complete lines.  Returns
   the byte count, 0 when nothing is there (or EINTR), -1 at EOF or error (S is closed then).  */
static ssize_t
stream_read_some (struct stream *s, size_t max)
{
  size_t room = sizeof (s->buf) - s->len;
  ssize_t n;

  if (s->fd < 0)
    return -1;
  n = read (s->fd, s->buf + s->len, max < room ? max : room);
  if (n > 0)
    {
      s->len += (size_t) n;
      stream_lines (s);
      return n;
    }
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  stream_close (s); /* EOF or error */
  return -1;
}

/* ---- processes ---- */

static pid_t container_pid;
static bool container_done;
static int container_status;

static void
reap (void)
{
  int st;
  pid_t pid;

  while ((pid = waitpid (-1, &st, WNOHANG)) > 0)
    if (pid == container_pid)
      {
        container_done = true;
        container_status = st;
      }
}

/* SIGKILL and reap every child this subreaper has (orphans the failed runtime left).  */
static void
kill_children (void)
{
  char path[64], buf[4096];
  int round;

  snprintf (path, sizeof (path), "/proc/self/task/%d/children", (int) getpid ());
  for (round = 0; round < 100; round++)
    {
      char *p, *end;
      bool any = false;
      struct timespec ts = { 0, 10 * 1000000L };

      if (read_small_file (path, buf, sizeof (buf)) < 0)
        break;
      for (p = buf;; p = end)
        {
          long pid = strtol (p, &end, 10);
          if (end == p)
            break;
          if (pid > 0)
            {
              kill ((pid_t) pid, SIGKILL);
              any = true;
            }
        }
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      if (!any)
        break;
      nanosleep (&ts, NULL);
    }
}

/* Is PID a child of this process (so waitpid will see its exit)?  */
static bool
is_my_child (pid_t pid)
{
  char path[64], buf[512], *p;
  if (snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid) < 0
      || read_small_file (path, buf, sizeof (buf)) <= 0 || (p = strrchr (buf, ')')) == NULL)
    return false;
  /* ") S PPID ..." */
  return p[1] == ' ' && p[2] && p[3] == ' ' && strtol (p + 4, NULL, 10) == (long) getpid ();
}

static pid_t
spawn_runtime (const char *tmp_pid_file, int devnull, int out_w, int err_w)
{
  const char *argv[16];
  sigset_t none;
  size_t i = 0;
  pid_t pid;

  argv[i++] = opt.runtime;
  if (opt.runtime_root)
    {
      argv[i++] = "--root";
      argv[i++] = opt.runtime_root;
    }
  argv[i++] = "run";
  argv[i++] = "-d";
  argv[i++] = "--bundle";
  argv[i++] = opt.bundle;
  argv[i++] = "--pid-file";
  argv[i++] = tmp_pid_file;
  argv[i++] = opt.id;
  argv[i] = NULL;

  pid = fork ();
  if (pid != 0)
    return pid;

  /* The runtime and the container get default signal handling back.  */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  if (dup2 (devnull, 0) < 0 || dup2 (out_w, 1) < 0 || dup2 (err_w, 2) < 0)
    _exit (127);
  execv (opt.runtime, (char *const *) argv);
  {
    char msg[PATH_MAX + 64];
    int n = snprintf (msg, sizeof (msg), "cannot execute runtime `%s`: %s\n", opt.runtime, strerror (errno));
    (void) write_all (2, msg, (size_t) n);
  }
  _exit (127);
}

/* ---- the monitor proper (the grandchild) ---- */

static void
write_exit_file (const struct timespec *started, long long oom_before)
{
  char buf[512], start[64], finish[64], sig[16] = "null";
  struct timespec now;
  long long oom_after;
  bool oom = false;
  int code = 255, n;

  clock_gettime (CLOCK_REALTIME, &now);
  format_time (start, sizeof (start), started);
  format_time (finish, sizeof (finish), &now);
  if (WIFEXITED (container_status))
    code = WEXITSTATUS (container_status);
  else if (WIFSIGNALED (container_status))
    {
      code = 128 + WTERMSIG (container_status);
      snprintf (sig, sizeof (sig), "%d", WTERMSIG (container_status));
    }
  oom_after = read_oom_kill (opt.oom_file);
  if (oom_after > oom_before)
    oom = true;
  n = snprintf (buf, sizeof (buf),
                "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\"}\n",
                code, sig, oom ? "true" : "false", start, finish);
  (void) write_file_atomic (opt.exit_file, buf, (size_t) n);
}

static void __attribute__ ((noreturn))
monitor (void)
{
  char tmp_pid_file[PATH_MAX], buf[MSG_BYTES], pidbuf[64];
  int out_pipe[2], err_pipe[2], devnull, sfd, st;
  struct timespec started;
  long long oom_before;
  sigset_t mask;
  pid_t runtime_pid;
  bool runtime_ok;
  size_t i;

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    fail ("prctl (PR_SET_CHILD_SUBREAPER): %s", strerror (errno));

  /* SIGCHLD, and the signals an agent or a terminal might send, arrive on a signalfd; the
     monitor ignores all but SIGCHLD.  SIGPIPE is ignored outright.  */
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGHUP);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGQUIT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  signal (SIGPIPE, SIG_IGN);
  sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0)
    fail ("signalfd: %s", strerror (errno));

  /* Let go of the agent's stdio, so that its spawn ends when the original process exits.  */
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0)
    fail ("open /dev/null: %s", strerror (errno));
  dup2 (devnull, 0);
  dup2 (devnull, 1);
  dup2 (devnull, 2);

  if (opt.pid_file)
    {
      int n = snprintf (pidbuf, sizeof (pidbuf), "%d\n", (int) getpid ());
      if (write_file_atomic (opt.pid_file, pidbuf, (size_t) n) < 0)
        fail ("write pid file `%s`: %s", opt.pid_file, strerror (errno));
    }

  log_created = access (opt.log_file, F_OK) < 0;
  if (log_open (false) < 0)
    {
      int e = errno;
      if (opt.pid_file)
        unlink (opt.pid_file);
      fail ("open log file `%s`: %s", opt.log_file, strerror (e));
    }

  if ((size_t) snprintf (tmp_pid_file, sizeof (tmp_pid_file), "%s.runtime-pid", opt.exit_file) >= sizeof (tmp_pid_file))
    fail ("exit file path too long");
  unlink (tmp_pid_file);

  /* Before the start: a cgroup that does not exist yet has had no OOM kill (0).  */
  oom_before = read_oom_kill (opt.oom_file);
  if (oom_before < 0)
    oom_before = 0;

  if (pipe2 (out_pipe, O_CLOEXEC) < 0 || pipe2 (err_pipe, O_CLOEXEC) < 0)
    fail ("pipe: %s", strerror (errno));
  runtime_pid = spawn_runtime (tmp_pid_file, devnull, out_pipe[1], err_pipe[1]);
  if (runtime_pid < 0)
    fail ("fork: %s", strerror (errno));
  close (out_pipe[1]);
  close (err_pipe[1]);
  close (devnull);
  streams[0].fd = out_pipe[0];
  streams[1].fd = err_pipe[0];
  fcntl (out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl (err_pipe[0], F_SETFL, O_NONBLOCK);

  /* `run -d` returns once the container runs.  Meanwhile its output waits in the pipes (64 KiB
     each), and orphans that exit stay zombies for reap () below.  */
  while (waitpid (runtime_pid, &st, 0) < 0 && errno == EINTR)
    ;
  runtime_ok = WIFEXITED (st) && WEXITSTATUS (st) == 0;

  container_pid = 0;
  if (runtime_ok)
    {
      if (read_small_file (tmp_pid_file, pidbuf, sizeof (pidbuf)) > 0)
        container_pid = (pid_t) strtol (pidbuf, NULL, 10);
      unlink (tmp_pid_file);
    }
  if (!runtime_ok || container_pid <= 0)
    {
      ssize_t n = 0, r;
      /* The runtime's error is what it wrote on stderr (no container ran to write there).  */
      while (n < (ssize_t) sizeof (buf) - 1
             && (r = read (err_pipe[0], buf + n, sizeof (buf) - 1 - (size_t) n)) > 0)
        n += r;
      while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
      buf[n] = '\0';
      kill_children ();
      unlink (tmp_pid_file);
      if (opt.pid_file)
        unlink (opt.pid_file);
      if (log_created)
        unlink (opt.log_file);
      if (!runtime_ok && n > 0)
        fail ("%s", buf);
      if (!runtime_ok)
        {
          if (WIFSIGNALED (st))
            fail ("runtime `%s` was killed by signal %d", opt.runtime, WTERMSIG (st));
          fail ("runtime `%s` exited with status %d", opt.runtime, WEXITSTATUS (st));
        }
      fail ("runtime `%s` did not write the container's pid to `%s`", opt.runtime, tmp_pid_file);
    }

  clock_gettime (CLOCK_REALTIME, &started);
  snprintf (pidbuf, sizeof (pidbuf), "%d", (int) container_pid);
  report ('O', pidbuf);

  /* If the container's process is not ours to wait for (a runtime that does not leave it to the
     nearest subreaper), watch it by polling instead.  */
  reap ();
  bool adopted = container_done || is_my_child (container_pid);

  while (!container_done)
    {
      struct pollfd pfd[3];
      nfds_t n = 0;
      int ready;

      pfd[n++] = (struct pollfd) { .fd = sfd, .events = POLLIN };
      for (i = 0; i < 2; i++)
        if (streams[i].fd >= 0)
          pfd[n++] = (struct pollfd) { .fd = streams[i].fd, .events = POLLIN };
      ready = poll (pfd, n, adopted ? -1 : 1000);
      if (ready < 0 && errno != EINTR)
        break;
      if (pfd[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
            ;
        }
      for (i = 1; i < n; i++)
        if (pfd[i].revents)
          {
            struct stream *s = streams[0].fd == pfd[i].fd ? &streams[0] : &streams[1];
            stream_read_some (s, sizeof (s->buf));
          }
      reap ();
      if (!adopted && !container_done && kill (container_pid, 0) < 0 && errno == ESRCH)
        {
          container_done = true;
          container_status = 255 << 8; /* exit status unknown */
        }
    }

  /* What the container wrote before it exited is in the pipes: take that much (FIONREAD now),
     then cut any partial line.  Descendants that still hold the pipes, even writing on and on,
     do not keep the monitor.  */
  for (i = 0; i < 2; i++)
    {
      int pending = 0;
      if (streams[i].fd >= 0 && ioctl (streams[i].fd, FIONREAD, &pending) < 0)
        pending = 0;
      while (pending > 0 && streams[i].fd >= 0)
        {
          ssize_t got = stream_read_some (&streams[i], (size_t) pending);
          if (got <= 0)
            break;
          pending -= (int) got;
        }
      stream_close (&streams[i]);
    }
  write_exit_file (&started, oom_before);
  _exit (0);
}

/* ---- the process the agent spawned ---- */

static void __attribute__ ((noreturn))
usage (int status)
{
  fprintf (status ? stderr : stdout,
           "usage: silo-monitor --runtime PATH [--runtime-root DIR] --bundle DIR --id ID\n"
           "                    --log-file FILE [--log-max-bytes N] [--log-max-files N]\n"
           "                    --exit-file FILE [--oom-file FILE] [--pid-file FILE]\n");
  exit (status);
}

static long long
parse_number (const char *name, const char *s)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || *end || v < 1)
    {
      fprintf (stderr, "silo-monitor: %s must be a positive integer, not `%s`\n", name, s);
      exit (1);
    }
  return v;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "runtime", required_argument, NULL, 'r' },   { "runtime-root", required_argument, NULL, 'R' },
    { "bundle", required_argument, NULL, 'b' },    { "id", required_argument, NULL, 'i' },
    { "log-file", required_argument, NULL, 'l' },  { "log-max-bytes", required_argument, NULL, 'B' },
    { "log-max-files", required_argument, NULL, 'F' }, { "exit-file", required_argument, NULL, 'e' },
    { "oom-file", required_argument, NULL, 'o' },  { "pid-file", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
  };
  char msg[MSG_BYTES + 2];
  int c, fds[2], st;
  size_t len = 0;
  pid_t child;
  ssize_t n;

  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (c)
      {
      case 'r': opt.runtime = optarg; break;
      case 'R': opt.runtime_root = optarg; break;
      case 'b': opt.bundle = optarg; break;
      case 'i': opt.id = optarg; break;
      case 'l': opt.log_file = optarg; break;
      case 'B': opt.log_max_bytes = parse_number ("--log-max-bytes", optarg); break;
      case 'F': opt.log_max_files = (long) parse_number ("--log-max-files", optarg); break;
      case 'e': opt.exit_file = optarg; break;
      case 'o': opt.oom_file = optarg; break;
      case 'p': opt.pid_file = optarg; break;
      case 'h': usage (0);
      default: usage (1);
      }
  if (optind != argc)
    {
      fprintf (stderr, "silo-monitor: unexpected argument `%s`\n", argv[optind]);
      usage (1);
    }
  {
    const char *missing = !opt.runtime ? "--runtime" : !opt.bundle ? "--bundle" : !opt.id ? "--id"
                        : !opt.log_file ? "--log-file" : !opt.exit_file ? "--exit-file" : NULL;
    if (missing)
      {
        fprintf (stderr, "silo-monitor: %s is required\n", missing);
        usage (1);
      }
  }

  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      fprintf (stderr, "silo-monitor: pipe: %s\n", strerror (errno));
      return 1;
    }
  child = fork ();
  if (child < 0)
    {
      fprintf (stderr, "silo-monitor: fork: %s\n", strerror (errno));
      return 1;
    }
  if (child == 0)
    {
      close (fds[0]);
      status_fd = fds[1];
      if (setsid () < 0)
        fail ("setsid: %s", strerror (errno));
      child = fork ();
      if (child < 0)
        fail ("fork: %s", strerror (errno));
      if (child > 0)
        _exit (0);
      monitor ();
    }

  close (fds[1]);
  while (waitpid (child, &st, 0) < 0 && errno == EINTR)
    ;
  while (len < sizeof (msg) - 1 && ((n = read (fds[0], msg + len, sizeof (msg) - 1 - len)) > 0
                                    || (n < 0 && errno == EINTR)))
    if (n > 0)
      len += (size_t) n;
  msg[len] = '\0';
  if (len > 0 && msg[0] == 'O')
    {
      printf ("%s\n", msg + 1);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  if (len > 0 && msg[0] == 'E')
    fprintf (stderr, "silo-monitor: %s\n", msg + 1);
  else
    fprintf (stderr, "silo-monitor: the monitor exited before the container started\n");
  return 1;
}
