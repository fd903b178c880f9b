/* silo-runtime: container lifecycle.  */
#include "container.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "linux.h"
#include "spec.h"
#include "status.h"
#include "terminal.h"

int
silo_write_pid_file (const char *file, pid_t pid, silo_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  char buf[32];
  int len;

  if (file == NULL)
    return 0;
  xasprintf (&tmp, "%s.tmp%d", file, (int) getpid ());
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return silo_error_make (err, errno, "cannot write the pid file `%s`", tmp);
  len = snprintf (buf, sizeof (buf), "%d", (int) pid);
  if (write (fd, buf, (size_t) len) != len)
    {
      unlink (tmp);
      return silo_error_make (err, errno, "cannot write the pid file `%s`", tmp);
    }
  if (rename (tmp, file) < 0)
    {
      unlink (tmp);
      return silo_error_make (err, errno, "cannot rename the pid file to `%s`", file);
    }
  return 0;
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* ---- signal forwarding while we wait for the process (run, exec) ----  */

static volatile pid_t forward_pid = 0;

static void
forward_signal (int sig)
{
  if (forward_pid > 0)
    kill (forward_pid, sig);
}

static void
forward_signals_to (pid_t pid)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
  struct sigaction sa;
  size_t i;

  forward_pid = pid;
  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = forward_signal;
  sigemptyset (&sa.sa_mask);
  for (i = 0; i < ARRAY_SIZE (sigs); i++)
    sigaction (sigs[i], &sa, NULL);
}

static int
wait_exit_code (pid_t pid)
{
  int status = 0;
  pid_t r;

  do
    r = waitpid (pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return 255;
  return exit_code_of (status);
}

/* ---- create / run ----  */

static char *
absolute_path (const char *base, const char *path)
{
  char *out = NULL;
  if (path[0] == '/')
    return xstrdup (path);
  xasprintf (&out, "%s/%s", base, path);
  return out;
}

/* Namespaces the runtime joins itself before clone, so that the child starts inside them
   (they do not change what the runtime sees of the host's files).  */
static const int parent_joined[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWCGROUP };

static int
join_namespaces (const struct silo_spec *spec, silo_error_t *err)
{
  int fds[ARRAY_SIZE (parent_joined)];
  size_t i;
  int ret = 0;

  for (i = 0; i < ARRAY_SIZE (parent_joined); i++)
    {
      const struct silo_spec_namespace *ns = silo_spec_namespace (spec, parent_joined[i]);
      fds[i] = -1;
      if (ns == NULL || ns->path == NULL)
        continue;
      fds[i] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          ret = silo_error_make (err, errno, "cannot open the namespace `%s`", ns->path);
          break;
        }
    }
  for (i = 0; ret == 0 && i < ARRAY_SIZE (parent_joined); i++)
    if (fds[i] >= 0 && setns (fds[i], parent_joined[i]) < 0)
      ret = silo_error_make (err, errno, "cannot join the namespace `%s`",
                             silo_spec_namespace (spec, parent_joined[i])->path);
  for (i = 0; i < ARRAY_SIZE (parent_joined); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}

struct create_ctx
{
  struct silo_global_arguments *global;
  const char *id;
  bool state_dir;
  bool cgroup;
  silo_cgroup_mode_t cgroup_mode;
  const char *cgroup_path;
  pid_t pid;
};

/* Undo a failed create: the process, the cgroup, the state directory.  */
static void
undo_create (struct create_ctx *c)
{
  silo_error_t err = NULL;

  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (c->cgroup && silo_cgroup_destroy (NULL, SILO_CGROUP_ROOT, c->cgroup_mode, c->cgroup_path, &err) < 0)
    {
      cleanup_free char *msg = silo_error_format (err);
      fprintf (stderr, "silo-runtime: warning: %s\n", msg);
      silo_error_release (&err);
    }
  if (c->state_dir && silo_status_delete (c->global->root, c->id, &err) < 0)
    {
      cleanup_free char *msg = silo_error_format (err);
      fprintf (stderr, "silo-runtime: warning: %s\n", msg);
      silo_error_release (&err);
    }
}

static int
write_oom_score_adj (pid_t pid, int value, silo_error_t *err)
{
  char path[64], buf[16];
  snprintf (path, sizeof (path), "/proc/%d/oom_score_adj", (int) pid);
  snprintf (buf, sizeof (buf), "%d", value);
  return silo_write_file (path, buf, err);
}

int
silo_container_create (struct silo_global_arguments *global, const char *id, const char *bundle_arg,
                       const char *pid_file, enum silo_create_mode mode, silo_error_t *err)
{
  cleanup_spec struct silo_spec *spec = NULL;
  cleanup_free char *bundle = NULL;
  cleanup_free char *rootfs_path = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *cgroup_path = NULL;
  cleanup_free char *fifo = NULL;
  cleanup_free char *created = NULL;
  cleanup_close int fifo_fd = -1;
  cleanup_close int master = -1;
  struct create_ctx c = { .global = global, .id = id, .pid = -1 };
  struct silo_container_state state;
  struct silo_init_config init;
  int sv[2] = { -1, -1 };
  unsigned long flags = 0;
  const struct silo_spec_namespace *userns;
  size_t i;
  char what = 0;
  pid_t pid;

  if (silo_status_validate_id (id, err) < 0)
    return -1;
  bundle = realpath (bundle_arg ? bundle_arg : ".", NULL);
  if (bundle == NULL)
    return silo_error_make (err, errno, "bundle `%s`", bundle_arg ? bundle_arg : ".");
  if (silo_spec_load (bundle, &spec, err) < 0)
    return -1;
  rootfs_path = absolute_path (bundle, spec->root_path);
  rootfs = realpath (rootfs_path, NULL);
  if (rootfs == NULL)
    return silo_error_make (err, errno, "rootfs `%s`", rootfs_path);
  if (spec->process.terminal && mode != SILO_RUN)
    return silo_error_make (err, EINVAL,
                            "config.json: `process.terminal` is true, but only a foreground `run` can give the "
                            "process a terminal (silo-runtime has no --console-socket): set it to false");
  if (spec->cgroups_path && strchr (spec->cgroups_path, ':'))
    return silo_error_make (err, EINVAL, "config.json: systemd cgroupsPath `%s` is not supported", spec->cgroups_path);
  if (spec->cgroups_path && spec->cgroups_path[0] != '\0')
    cgroup_path = absolute_path ("", spec->cgroups_path);
  else
    xasprintf (&cgroup_path, "/%s", id);
  c.cgroup_path = cgroup_path;
  if (silo_cgroup_detect_mode (NULL, SILO_CGROUP_ROOT, &c.cgroup_mode, err) < 0)
    return -1;

  /* Relative bind-mount sources are relative to the bundle, as with runc.  */
  if (chdir (bundle) < 0)
    return silo_error_make (err, errno, "chdir to the bundle `%s`", bundle);

  if (silo_status_create_dir (global->root, id, err) < 0)
    return -1;
  c.state_dir = true;

  if (mode == SILO_CREATE)
    {
      xasprintf (&fifo, "%s/%s/exec.fifo", global->root, id);
      if (mkfifo (fifo, 0600) < 0)
        {
          silo_error_make (err, errno, "mkfifo `%s`", fifo);
          goto fail;
        }
      fifo_fd = open (fifo, O_PATH | O_CLOEXEC);
      if (fifo_fd < 0)
        {
          silo_error_make (err, errno, "open `%s`", fifo);
          goto fail;
        }
    }

  if (join_namespaces (spec, err) < 0)
    goto fail;
  for (i = 0; i < spec->namespaces_len; i++)
    if (spec->namespaces[i].path == NULL && spec->namespaces[i].flag != CLONE_NEWCGROUP)
      flags |= (unsigned long) spec->namespaces[i].flag;
  userns = silo_spec_namespace (spec, CLONE_NEWUSER);

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      silo_error_make (err, errno, "socketpair");
      goto fail;
    }

  /* Nothing in the child may overwrite us through /proc/PID/exe (CVE-2019-5736).  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  fflush (NULL);
  pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      silo_error_make (err, errno, "clone");
      close (sv[0]);
      close (sv[1]);
      goto fail;
    }
  if (pid == 0)
    {
      close (sv[0]);
      init.spec = spec;
      init.rootfs = rootfs;
      init.sync_fd = sv[1];
      init.fifo_fd = fifo_fd;
      init.new_userns = userns != NULL && userns->path == NULL;
      init.cgroup_mode = c.cgroup_mode;
      init.terminal = spec->process.terminal;
      silo_linux_init (&init);
    }
  c.pid = pid;
  close (sv[1]);

  if (userns != NULL && userns->path == NULL
      && silo_linux_write_id_maps (pid, spec->uid_mappings, spec->uid_mappings_len, spec->gid_mappings,
                                   spec->gid_mappings_len, err)
             < 0)
    goto fail_sync;
  if (silo_cgroup_create (NULL, SILO_CGROUP_ROOT, c.cgroup_mode, cgroup_path, &spec->resources, pid, err) < 0)
    goto fail_sync;
  c.cgroup = true;
  if (spec->process.has_oom_score_adj && write_oom_score_adj (pid, spec->process.oom_score_adj, err) < 0)
    goto fail_sync;
  if (silo_sync_send (sv[0], 'G', err) < 0 || silo_sync_recv_fd (sv[0], &what, &master, err) < 0)
    goto fail_sync;
  if (spec->process.terminal && what == 'T' && master >= 0 && silo_sync_recv (sv[0], &what, err) < 0)
    goto fail_sync;
  if (what != 'R' || (spec->process.terminal && master < 0))
    {
      silo_error_make (err, 0, "the container process exited during setup");
      goto fail_sync;
    }

  created = silo_rfc3339_now ();
  memset (&state, 0, sizeof (state));
  state.id = (char *) id;
  state.pid = pid;
  state.start_time = silo_process_start_time (pid);
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.created = created;
  state.cgroup_path = cgroup_path;
  state.oci_version = spec->oci_version;
  state.annotation_keys = spec->annotation_keys;
  state.annotation_values = spec->annotation_values;
  state.annotations_len = spec->annotations_len;
  if (silo_status_write (global->root, &state, err) < 0)
    goto fail_sync;
  if (silo_write_pid_file (pid_file, pid, err) < 0)
    goto fail_sync;

  if (mode == SILO_CREATE)
    {
      close (sv[0]);
      return 0;
    }

  /* run: EOF means execve succeeded; a message is its error.  */
  if (silo_sync_recv (sv[0], &what, err) < 0)
    goto fail_sync;
  close (sv[0]);
  if (mode == SILO_RUN_DETACHED)
    return 0;

  forward_signals_to (pid);
  if (master >= 0)
    {
      struct silo_relay relay = { .pid = pid, .master = master, .in_fd = 0, .out_fd = 1, .control_fd = -1 };
      int status = 0;
      if (silo_relay_run (&relay, &status, err) < 0)
        {
          forward_pid = 0;
          goto fail;
        }
      global->exit_code = exit_code_of (status);
    }
  else
    global->exit_code = wait_exit_code (pid);
  c.pid = -1;
  forward_pid = 0;
  /* The process is gone: remove the container, as `runc run` does.  */
  undo_create (&c);
  return 0;

fail_sync:
  close (sv[0]);
fail:
  undo_create (&c);
  return -1;
}

/* ---- start ----  */

int
silo_container_start (struct silo_global_arguments *global, const char *id, silo_error_t *err)
{
  struct silo_container_state state;
  cleanup_free char *fifo = NULL;
  cleanup_close int fd = -1;
  silo_status_t status;
  char c;

  if (silo_status_read (global->root, id, &state, err) < 0)
    return -1;
  status = silo_status_get (global->root, &state);
  if (status != SILO_STATUS_CREATED)
    {
      silo_status_clear (&state);
      return silo_error_make (err, 0, "cannot start container `%s`: it is %s, not created", id, silo_status_name (status));
    }
  xasprintf (&fifo, "%s/%s/exec.fifo", global->root, id);
  fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      silo_status_clear (&state);
      return silo_error_make (err, errno, "cannot open `%s`", fifo);
    }
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      ssize_t n;

      n = read (fd, &c, 1);
      if (n == 1)
        break;
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          silo_status_clear (&state);
          return silo_error_make (err, errno, "cannot read `%s`", fifo);
        }
      if (!silo_process_alive (state.pid, state.start_time))
        {
          silo_status_clear (&state);
          return silo_error_make (err, 0, "cannot start container `%s`: its process has exited", id);
        }
      poll (&p, 1, 10);
    }
  unlink (fifo);
  silo_status_clear (&state);
  return 0;
}

/* ---- kill ----  */

static char *
cgroup_procs_file (silo_cgroup_mode_t mode, const char *path)
{
  static const char *const v1[] = { "pids", "memory", "cpu", "freezer", "unified" };
  char *file = NULL;
  size_t i;

  if (mode == SILO_CGROUP_MODE_V2)
    {
      xasprintf (&file, "%s%s/cgroup.procs", SILO_CGROUP_ROOT, path);
      return file;
    }
  for (i = 0; i < ARRAY_SIZE (v1); i++)
    {
      xasprintf (&file, "%s/%s%s/cgroup.procs", SILO_CGROUP_ROOT, v1[i], path);
      if (access (file, F_OK) == 0)
        return file;
      free (file);
      file = NULL;
    }
  return NULL;
}

static int
kill_all (const struct silo_container_state *state, int sig, silo_error_t *err)
{
  cleanup_free char *file = NULL;
  cleanup_free char *text = NULL;
  silo_cgroup_mode_t mode;
  char *line, *save = NULL;

  if (silo_cgroup_detect_mode (NULL, SILO_CGROUP_ROOT, &mode, err) < 0)
    return -1;
  file = cgroup_procs_file (mode, state->cgroup_path ? state->cgroup_path : "");
  if (file == NULL || silo_read_file (file, &text, NULL, err) < 0)
    {
      silo_error_release (err);
      if (kill (state->pid, sig) < 0 && errno != ESRCH)
        return silo_error_make (err, errno, "kill %d", (int) state->pid);
      return 0;
    }
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      pid_t p = (pid_t) atoi (line);
      if (p > 0 && kill (p, sig) < 0 && errno != ESRCH)
        return silo_error_make (err, errno, "kill %d", (int) p);
    }
  return 0;
}

int
silo_container_kill (struct silo_global_arguments *global, const char *id, int sig, bool all, silo_error_t *err)
{
  struct silo_container_state state;
  silo_status_t status;
  int ret = 0;

  if (silo_status_read (global->root, id, &state, err) < 0)
    return -1;
  status = silo_status_get (global->root, &state);
  if (status == SILO_STATUS_STOPPED || status == SILO_STATUS_CREATING)
    ret = silo_error_make (err, 0, "container `%s` is not running", id);
  else if (all)
    ret = kill_all (&state, sig, err);
  else if (kill (state.pid, sig) < 0)
    ret = silo_error_make (err, errno, "kill container `%s` (pid %d)", id, (int) state.pid);
  silo_status_clear (&state);
  return ret;
}

/* ---- delete ----  */

static void
wait_for_exit (pid_t pid, unsigned long long start_time)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  int i;

  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      poll (&p, 1, 10000);
      close (pidfd);
      return;
    }
  for (i = 0; i < 10000 && silo_process_alive (pid, start_time); i++)
    usleep (1000);
}

int
silo_container_delete (struct silo_global_arguments *global, const char *id, bool force, silo_error_t *err)
{
  struct silo_container_state state;
  silo_status_t status;
  silo_cgroup_mode_t mode;

  if (silo_status_read (global->root, id, &state, err) < 0)
    return -1;
  status = silo_status_get (global->root, &state);
  if (status == SILO_STATUS_CREATED || status == SILO_STATUS_RUNNING)
    {
      if (!force)
        {
          silo_status_clear (&state);
          return silo_error_make (err, 0, "cannot delete container `%s` that is %s (stop it first, or use --force)",
                                  id, silo_status_name (status));
        }
      kill (state.pid, SIGKILL);
      wait_for_exit (state.pid, state.start_time);
    }
  if (state.cgroup_path && state.cgroup_path[0]
      && (silo_cgroup_detect_mode (NULL, SILO_CGROUP_ROOT, &mode, err) < 0
          || silo_cgroup_destroy (NULL, SILO_CGROUP_ROOT, mode, state.cgroup_path, err) < 0))
    {
      silo_status_clear (&state);
      return -1;
    }
  silo_status_clear (&state);
  return silo_status_delete (global->root, id, err);
}

/* ---- exec ----  */

static const struct
{
  const char *name;
  int flag;
} exec_namespaces[] = {
  /* joined by the runtime itself, before fork */
  { "net", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },
  { "uts", CLONE_NEWUTS },
  { "pid", CLONE_NEWPID },
  { "cgroup", CLONE_NEWCGROUP },
  /* joined by the child */
  { "user", CLONE_NEWUSER },
  { "mnt", CLONE_NEWNS },
};

/* Open /proc/PID/ns/NAME if it differs from ours, else -1.  */
static int
open_ns_if_different (pid_t pid, const char *name, silo_error_t *err)
{
  char theirs[64], ours[64];
  struct stat a, b;
  int fd;

  snprintf (theirs, sizeof (theirs), "/proc/%d/ns/%s", (int) pid, name);
  snprintf (ours, sizeof (ours), "/proc/self/ns/%s", name);
  if (stat (theirs, &a) < 0)
    {
      if (errno == ENOENT)
        return -1;
      return silo_error_make (err, errno, "stat `%s`", theirs);
    }
  if (stat (ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
    return -1;
  fd = open (theirs, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return silo_error_make (err, errno, "open `%s`", theirs);
  return fd;
}

static int
parse_user (const char *user, struct silo_spec_process *p, silo_error_t *err)
{
  char *end = NULL;
  unsigned long uid, gid;

  errno = 0;
  uid = strtoul (user, &end, 10);
  if (errno || end == user || (*end != '\0' && *end != ':') || uid > UINT32_MAX)
    return silo_error_make (err, EINVAL, "--user `%s`: want UID[:GID] (numbers)", user);
  p->uid = (uid_t) uid;
  if (*end == ':')
    {
      const char *g = end + 1;
      errno = 0;
      gid = strtoul (g, &end, 10);
      if (errno || end == g || *end != '\0' || gid > UINT32_MAX)
        return silo_error_make (err, EINVAL, "--user `%s`: want UID[:GID] (numbers)", user);
      p->gid = (gid_t) gid;
    }
  return 0;
}

static char **
vector_dup (char **v, size_t *len)
{
  size_t n = 0, i;
  char **out;

  while (v && v[n])
    n++;
  out = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  if (len)
    *len = n;
  return out;
}

/* ENV with each K=V of EXTRA replacing the same K or appended.  */
static void
env_merge (struct silo_spec_process *p, char **extra)
{
  size_t i, j;

  for (i = 0; extra && extra[i]; i++)
    {
      size_t klen = strcspn (extra[i], "=");
      bool replaced = false;
      for (j = 0; j < p->env_len; j++)
        if (strncmp (p->env[j], extra[i], klen) == 0 && (p->env[j][klen] == '=' || p->env[j][klen] == '\0'))
          {
            free (p->env[j]);
            p->env[j] = xstrdup (extra[i]);
            replaced = true;
            break;
          }
      if (!replaced)
        {
          p->env = realloc (p->env, (p->env_len + 2) * sizeof (char *));
          if (p->env == NULL)
            abort ();
          p->env[p->env_len++] = xstrdup (extra[i]);
          p->env[p->env_len] = NULL;
        }
    }
}

int
silo_container_exec (struct silo_global_arguments *global, const char *id, const struct silo_exec_options *opts,
                     silo_error_t *err)
{
  cleanup_spec struct silo_spec *spec = NULL;
  struct silo_container_state state;
  struct silo_spec_process proc;
  struct silo_exec_config cfg;
  silo_status_t status;
  silo_cgroup_mode_t mode;
  int fds[ARRAY_SIZE (exec_namespaces)];
  int sv[2] = { -1, -1 };
  cleanup_close int master = -1;
  bool terminal;
  size_t i;
  pid_t pid = -1;
  char what = 0;
  int ret = -1;

  memset (&proc, 0, sizeof (proc));
  for (i = 0; i < ARRAY_SIZE (fds); i++)
    fds[i] = -1;
  if (silo_status_read (global->root, id, &state, err) < 0)
    return -1;
  status = silo_status_get (global->root, &state);
  if (status != SILO_STATUS_RUNNING && status != SILO_STATUS_CREATED)
    {
      silo_error_make (err, 0, "cannot exec in container `%s`: it is %s", id, silo_status_name (status));
      goto out;
    }
  if (silo_spec_load (state.bundle, &spec, err) < 0)
    goto out;

  /* The process: --process FILE, or the container's own with the command line's changes.  */
  if (opts->process_file)
    {
      cleanup_free char *json = NULL;
      if (silo_read_file (opts->process_file, &json, NULL, err) < 0
          || silo_spec_parse_process (json, &proc, err) < 0)
        goto out;
    }
  else
    {
      const struct silo_spec_process *base = &spec->process;
      if (opts->args == NULL || opts->args[0] == NULL)
        {
          silo_error_make (err, EINVAL, "exec: no command given");
          goto out;
        }
      proc = *base;
      proc.terminal = false;
      proc.args = vector_dup (opts->args, &proc.args_len);
      proc.env = vector_dup (base->env, &proc.env_len);
      proc.cwd = xstrdup (base->cwd);
      proc.additional_gids = NULL;
      proc.additional_gids_len = 0;
      if (base->additional_gids_len)
        {
          proc.additional_gids = xmalloc0 (base->additional_gids_len * sizeof (gid_t));
          memcpy (proc.additional_gids, base->additional_gids, base->additional_gids_len * sizeof (gid_t));
          proc.additional_gids_len = base->additional_gids_len;
        }
      proc.rlimits = NULL;
      proc.rlimits_len = 0;
      if (base->rlimits_len)
        {
          proc.rlimits = xmalloc0 (base->rlimits_len * sizeof (*proc.rlimits));
          memcpy (proc.rlimits, base->rlimits, base->rlimits_len * sizeof (*proc.rlimits));
          proc.rlimits_len = base->rlimits_len;
        }
    }
  env_merge (&proc, opts->env);
  if (opts->cwd)
    {
      free (proc.cwd);
      proc.cwd = xstrdup (opts->cwd);
    }
  if (opts->user && parse_user (opts->user, &proc, err) < 0)
    goto out;
  terminal = opts->tty || proc.terminal;
  if (terminal && opts->detach)
    {
      silo_error_make (err, EINVAL, "exec: a terminal needs the runtime to relay it: --tty and --detach do not mix");
      goto out;
    }

  for (i = 0; i < ARRAY_SIZE (exec_namespaces); i++)
    {
      fds[i] = open_ns_if_different (state.pid, exec_namespaces[i].name, err);
      if (fds[i] < 0 && *err)
        goto out;
    }
  /* The container must still be the same process after we opened its namespaces.  */
  if (!silo_process_alive (state.pid, state.start_time))
    {
      silo_error_make (err, 0, "cannot exec in container `%s`: it has stopped", id);
      goto out;
    }

  /* Not dumpable (inherited by the child until its execve): a process in the container
     cannot open our /proc/PID/exe (CVE-2019-5736).  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (i = 0; i < ARRAY_SIZE (exec_namespaces); i++)
    if (exec_namespaces[i].flag != CLONE_NEWUSER && exec_namespaces[i].flag != CLONE_NEWNS && fds[i] >= 0)
      {
        if (setns (fds[i], exec_namespaces[i].flag) < 0)
          {
            silo_error_make (err, errno, "cannot join the container's %s namespace", exec_namespaces[i].name);
            goto out;
          }
        close (fds[i]);
        fds[i] = -1;
      }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      silo_error_make (err, errno, "socketpair");
      goto out;
    }
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      silo_error_make (err, errno, "fork");
      goto out;
    }
  if (pid == 0)
    {
      close (sv[0]);
      cfg.process = &proc;
      cfg.seccomp = spec->seccomp;
      cfg.sync_fd = sv[1];
      cfg.userns_fd = fds[5];
      cfg.mntns_fd = fds[6];
      cfg.terminal = terminal;
      cfg.cols = opts->cols ? opts->cols : proc.console_cols;
      cfg.rows = opts->rows ? opts->rows : proc.console_rows;
      silo_linux_exec (&cfg);
    }
  close (sv[1]);
  sv[1] = -1;

  if (state.cgroup_path && state.cgroup_path[0])
    {
      if (silo_cgroup_detect_mode (NULL, SILO_CGROUP_ROOT, &mode, err) < 0
          || silo_cgroup_enter (NULL, SILO_CGROUP_ROOT, mode, state.cgroup_path, pid, err) < 0)
        goto out_kill;
    }
  if (silo_sync_send (sv[0], 'G', err) < 0 || silo_sync_recv_fd (sv[0], &what, &master, err) < 0)
    goto out_kill;
  if (terminal && what == 'T' && master >= 0 && silo_sync_recv (sv[0], &what, err) < 0)
    goto out_kill;
  if (what != 'R' || (terminal && master < 0))
    {
      silo_error_make (err, 0, "the exec process exited during setup");
      goto out_kill;
    }
  if (silo_write_pid_file (opts->pid_file, pid, err) < 0)
    goto out_kill;
  if (silo_sync_recv (sv[0], &what, err) < 0)
    goto out_kill;
  if (opts->detach)
    {
      ret = 0;
      goto out;
    }
  forward_signals_to (pid);
  if (terminal || opts->control_fd >= 0)
    {
      struct silo_relay relay = {
        .pid = pid, .master = master, .in_fd = 0, .out_fd = 1, .control_fd = opts->control_fd,
      };
      int status = 0;
      ret = silo_relay_run (&relay, &status, err);
      forward_pid = 0;
      if (ret < 0)
        goto out_kill;
      global->exit_code = exit_code_of (status);
    }
  else
    {
      global->exit_code = wait_exit_code (pid);
      forward_pid = 0;
    }
  ret = 0;
  goto out;

out_kill:
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
out:
  for (i = 0; i < ARRAY_SIZE (fds); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  silo_spec_process_clear (&proc);
  silo_status_clear (&state);
  return ret;
}
