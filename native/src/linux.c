/* silo-runtime: container setup inside the namespaces (see linux.h).  */
#include "linux.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux_defs.h"
#include "silo_seccomp.h"
#include "terminal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- small helpers ----  */

int
silo_write_file (const char *file, const char *data, silo_error_t *err)
{
  cleanup_close int fd = open (file, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (data);

  if (fd < 0)
    return silo_error_make (err, errno, "cannot open `%s`", file);
  if (write (fd, data, len) != (ssize_t) len)
    return silo_error_make (err, errno, "cannot write `%s`", file);
  return 0;
}

int
silo_kernel_last_cap (void)
{
  static int last = -1;
  char buf[16] = "";
  cleanup_close int fd = -1;

  if (last >= 0)
    return last;
  fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0)
    last = atoi (buf);
  if (last <= 0 || last > 63)
    last = CAP_LAST_CAP;
  return last;
}

int
silo_sync_send (int fd, char what, silo_error_t *err)
{
  if (send (fd, &what, 1, MSG_NOSIGNAL) != 1)
    return silo_error_make (err, errno, "sync: cannot send `%c`", what);
  return 0;
}

static void
sync_send_error (int fd, silo_error_t *err)
{
  cleanup_free char *msg = silo_error_format (*err);
  cleanup_free char *packet = NULL;
  int len = xasprintf (&packet, "E%s", msg);

  if (send (fd, packet, (size_t) len, MSG_NOSIGNAL) < 0)
    {
      /* Nobody listens (create returned): stderr is all we have.  */
      fprintf (stderr, "silo-runtime: %s\n", msg);
    }
  silo_error_release (err);
}

int
silo_sync_send_fd (int fd, char what, int passed, silo_error_t *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = &what, .iov_len = 1 };
  struct msghdr msg;
  struct cmsghdr *cmsg;

  memset (&control, 0, sizeof (control));
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof (control.buf);
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &passed, sizeof (int));
  if (sendmsg (fd, &msg, MSG_NOSIGNAL) != 1)
    return silo_error_make (err, errno, "sync: cannot send `%c`", what);
  return 0;
}

int
silo_sync_recv_fd (int fd, char *what, int *passed, silo_error_t *err)
{
  char buf[4096];
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof (buf) - 1 };
  struct msghdr msg;
  struct cmsghdr *cmsg;
  ssize_t n;

  if (passed)
    *passed = -1;
  do
    {
      memset (&msg, 0, sizeof (msg));
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof (control.buf);
      n = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC);
    }
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return silo_error_make (err, errno, "sync: cannot read from the container process");
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      {
        size_t i, count = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (i = 0; i < count; i++)
          {
            int got;
            memcpy (&got, CMSG_DATA (cmsg) + i * sizeof (int), sizeof (int));
            if (passed && *passed < 0)
              *passed = got;
            else
              close (got);
          }
      }
  if (n == 0)
    {
      *what = 0;
      return 0;
    }
  buf[n] = '\0';
  *what = buf[0];
  if (buf[0] == 'E')
    {
      if (passed && *passed >= 0)
        {
          close (*passed);
          *passed = -1;
        }
      return silo_error_make (err, 0, "%s", buf + 1);
    }
  return 0;
}

int
silo_sync_recv (int fd, char *what, silo_error_t *err)
{
  return silo_sync_recv_fd (fd, what, NULL, err);
}

static int
write_map (pid_t pid, const char *name, const struct silo_spec_id_map *map, size_t len, silo_error_t *err)
{
  char path[64];
  char *buf, *p;
  size_t i;
  int ret;

  snprintf (path, sizeof (path), "/proc/%d/%s", (int) pid, name);
  buf = p = xmalloc0 (len * 40 + 1);
  for (i = 0; i < len; i++)
    p += sprintf (p, "%u %u %u\n", map[i].container_id, map[i].host_id, map[i].size);
  ret = silo_write_file (path, buf, err);
  free (buf);
  return ret;
}

int
silo_linux_write_id_maps (pid_t pid, const struct silo_spec_id_map *uid, size_t uid_len,
                          const struct silo_spec_id_map *gid, size_t gid_len, silo_error_t *err)
{
  if (write_map (pid, "uid_map", uid, uid_len, err) < 0)
    return silo_error_wrap (err, "user namespace: uidMappings");
  if (write_map (pid, "gid_map", gid, gid_len, err) < 0)
    return silo_error_wrap (err, "user namespace: gidMappings");
  return 0;
}

static const char *
env_get (char *const *env, const char *name)
{
  size_t len = strlen (name);
  for (; env && *env; env++)
    if (strncmp (*env, name, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  return NULL;
}

static bool
is_executable_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

int
silo_find_executable (const char *file, char *const *env, char **out, silo_error_t *err)
{
  const char *path, *p;

  if (strchr (file, '/') != NULL)
    {
      struct stat st;
      if (stat (file, &st) < 0)
        return silo_error_make (err, errno, "exec: `%s`", file);
      if (!S_ISREG (st.st_mode))
        return silo_error_make (err, EACCES, "exec: `%s` is not a regular file", file);
      if (access (file, X_OK) < 0)
        return silo_error_make (err, errno, "exec: `%s`", file);
      *out = xstrdup (file);
      return 0;
    }
  path = env_get (env, "PATH");
  if (path == NULL)
    path = DEFAULT_PATH;
  for (p = path;; p++)
    {
      const char *end = strchrnul (p, ':');
      cleanup_free char *candidate = NULL;

      if (end == p)
        xasprintf (&candidate, "./%s", file);
      else
        xasprintf (&candidate, "%.*s/%s", (int) (end - p), p, file);
      if (is_executable_file (candidate))
        {
          *out = steal_pointer (&candidate);
          return 0;
        }
      if (*end == '\0')
        break;
      p = end;
    }
  return silo_error_make (err, ENOENT, "exec: `%s`: executable file not found in $PATH", file);
}

/* ---- mounts ----  */

static int
openat2_in_root (int rootfd, const char *rel, int flags)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do
    fd = (int) syscall (SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof (how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* Open PATH (absolute, as seen in the container) under ROOTFD with O_PATH, creating what is
   missing: directories, and the last component as an empty file when AS_FILE.  Symlinks are
   resolved inside the root, so an image cannot send a mount outside it.  */
static int
open_in_root (int rootfd, const char *path, bool create, bool as_file, silo_error_t *err)
{
  cleanup_free char *rel = NULL;
  char *p;
  int fd;

  while (*path == '/')
    path++;
  rel = xstrdup (path);
  fd = openat2_in_root (rootfd, rel, O_PATH);
  if (fd >= 0 || errno != ENOENT || !create)
    {
      if (fd < 0)
        return silo_error_make (err, errno, "cannot open `/%s` in the rootfs", rel);
      return fd;
    }
  for (p = rel;; p++)
    {
      bool last = (*p == '\0');
      if (*p != '/' && !last)
        continue;
      if (p > rel && p[-1] != '/')
        {
          char saved = *p;
          char *slash;
          cleanup_close int parent = -1;
          const char *name;

          *p = '\0';
          fd = openat2_in_root (rootfd, rel, O_PATH);
          if (fd >= 0)
            close (fd);
          else if (errno == ENOENT)
            {
              slash = strrchr (rel, '/');
              if (slash)
                {
                  *slash = '\0';
                  parent = openat2_in_root (rootfd, rel, O_PATH | O_DIRECTORY);
                  *slash = '/';
                  name = slash + 1;
                }
              else
                {
                  parent = openat2_in_root (rootfd, "", O_PATH | O_DIRECTORY);
                  name = rel;
                }
              if (parent < 0)
                return silo_error_make (err, errno, "cannot open the parent of `/%s` in the rootfs", rel);
              if (last && as_file)
                {
                  int f = openat (parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                  if (f < 0 && errno != EEXIST)
                    return silo_error_make (err, errno, "cannot create `/%s` in the rootfs", rel);
                  if (f >= 0)
                    close (f);
                }
              else if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
                return silo_error_make (err, errno, "cannot create the directory `/%s` in the rootfs", rel);
            }
          else
            return silo_error_make (err, errno, "cannot open `/%s` in the rootfs", rel);
          *p = saved;
        }
      if (last)
        break;
    }
  fd = openat2_in_root (rootfd, rel, O_PATH);
  if (fd < 0)
    return silo_error_make (err, errno, "cannot open `/%s` in the rootfs", rel);
  return fd;
}

static void
fd_path (char *buf, size_t size, int fd)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
}

/* Flags a bind remount must keep (they may be locked in a user namespace).  */
static unsigned long
locked_flags (const char *path)
{
  struct statvfs sv;
  unsigned long flags = 0;

  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    flags |= MS_RELATIME;
  if (sv.f_flag & ST_RDONLY)
    flags |= MS_RDONLY;
  return flags;
}

/* Bind SOURCE onto the directory or file TARGET_FD (O_PATH) with the new mount API: the copy is
   made (open_tree), given its flags (mount_setattr: read-only, nosuid ... recursively for
   rbind) while still detached, then attached (move_mount).  No remount of a path that an fd
   opened before the mount would not see.  */
static int
bind_mount (const char *source, int target_fd, unsigned long flags, unsigned long clear, const char *what,
            silo_error_t *err)
{
  cleanup_close int tree = -1;
  bool rec = (flags & MS_REC) != 0;
  struct mount_attr attr;

  tree = open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    return silo_error_make (err, errno, "bind mount `%s` on `%s`: open_tree", source, what);
  memset (&attr, 0, sizeof (attr));
  if (flags & MS_RDONLY)
    attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      attr.attr_clr |= MOUNT_ATTR__ATIME;
      attr.attr_set |= (flags & MS_NOATIME) ? MOUNT_ATTR_NOATIME
                       : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                                  : MOUNT_ATTR_RELATIME;
    }
  if (clear & MS_RDONLY)
    attr.attr_clr |= MOUNT_ATTR_RDONLY;
  if (clear & MS_NOSUID)
    attr.attr_clr |= MOUNT_ATTR_NOSUID;
  if (clear & MS_NODEV)
    attr.attr_clr |= MOUNT_ATTR_NODEV;
  if (clear & MS_NOEXEC)
    attr.attr_clr |= MOUNT_ATTR_NOEXEC;
  if ((attr.attr_set || attr.attr_clr)
      && mount_setattr (tree, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &attr, sizeof (attr)) < 0)
    return silo_error_make (err, errno, "bind mount `%s` on `%s`: set its options", source, what);
  if (move_mount (tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return silo_error_make (err, errno, "bind mount `%s` on `%s`: move_mount", source, what);
  return 0;
}

static bool
source_is_dir (const char *source)
{
  struct stat st;
  return stat (source, &st) < 0 || S_ISDIR (st.st_mode);
}

/* /sys/fs/cgroup on a v1 or hybrid host: a tmpfs with one bind mount per hierarchy, of this
   process's own cgroup (CGROUP_FILE is /proc/self/cgroup as read before any cgroupns).  */
static int
mount_cgroup_v1 (int rootfd, const struct silo_spec_mount *m, const char *cgroup_file, silo_error_t *err)
{
  cleanup_close int fd = -1;
  char target[64];
  cleanup_free char *copy = xstrdup (cgroup_file);
  char *line, *save = NULL;

  fd = open_in_root (rootfd, m->destination, true, false, err);
  if (fd < 0)
    return -1;
  fd_path (target, sizeof (target), fd);
  if (mount ("tmpfs", target, "tmpfs", (m->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return silo_error_make (err, errno, "mount tmpfs on `%s`", m->destination);
  close (fd);
  fd = open_in_root (rootfd, m->destination, false, false, err);
  if (fd < 0)
    return -1;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *controllers = strchr (line, ':'), *path;
      cleanup_free char *host = NULL;
      cleanup_free char *source = NULL;
      const char *dir;
      struct stat st;
      int sub;

      if (controllers == NULL)
        continue;
      controllers++;
      path = strchr (controllers, ':');
      if (path == NULL)
        continue;
      *path++ = '\0';
      if (*controllers == '\0')
        dir = "unified";
      else if (strncmp (controllers, "name=", 5) == 0)
        dir = controllers + 5;
      else
        dir = controllers;
      xasprintf (&host, "%s/%s", SILO_CGROUP_ROOT, dir);
      if (stat (host, &st) < 0 || !S_ISDIR (st.st_mode))
        continue;
      xasprintf (&source, "%s%s", host, strcmp (path, "/") == 0 ? "" : path);
      if (mkdirat (fd, dir, 0755) < 0 && errno != EEXIST)
        return silo_error_make (err, errno, "mkdir `%s/%s`", m->destination, dir);
      sub = openat (fd, dir, O_PATH | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY);
      if (sub < 0)
        return silo_error_make (err, errno, "open `%s/%s`", m->destination, dir);
      if (bind_mount (source, sub, MS_BIND | (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)), 0,
                      m->destination, err)
          < 0)
        {
          close (sub);
          return -1;
        }
      close (sub);
      if (strchr (dir, ',') != NULL)
        {
          cleanup_free char *names = xstrdup (dir);
          char *name, *s2 = NULL;
          for (name = strtok_r (names, ",", &s2); name; name = strtok_r (NULL, ",", &s2))
            if (symlinkat (dir, fd, name) < 0 && errno != EEXIST)
              return silo_error_make (err, errno, "symlink `%s/%s`", m->destination, name);
        }
    }
  if (m->flags & MS_RDONLY)
    {
      fd_path (target, sizeof (target), fd);
      if (mount (NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return silo_error_make (err, errno, "remount `%s` read-only", m->destination);
    }
  return 0;
}

static int
do_mount (int rootfd, const struct silo_spec_mount *m, const struct silo_init_config *cfg, const char *cgroup_file,
          silo_error_t *err)
{
  cleanup_close int fd = -1;
  char target[64];
  bool is_bind = (m->flags & MS_BIND) != 0;

  if (!is_bind && strcmp (m->type, "cgroup") == 0 && cfg->cgroup_mode != SILO_CGROUP_MODE_V2)
    return mount_cgroup_v1 (rootfd, m, cgroup_file, err);

  fd = open_in_root (rootfd, m->destination, true, is_bind && !source_is_dir (m->source), err);
  if (fd < 0)
    return -1;
  fd_path (target, sizeof (target), fd);

  if (is_bind)
    {
      if (bind_mount (m->source, fd, m->flags, m->clear, m->destination, err) < 0)
        return -1;
    }
  else
    {
      const char *type = m->type;
      if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
        type = "cgroup2";
      if (mount (m->source ? m->source : type, target, type, m->flags, m->data) < 0)
        {
          int saved = errno;
          /* In a user namespace without its own network namespace sysfs cannot be mounted;
             like runc, bind the host's instead.  Same for mqueue without an ipc namespace.  */
          if ((saved == EPERM || saved == EBUSY) && strcmp (type, "sysfs") == 0)
            return bind_mount ("/sys", fd, MS_BIND | MS_REC | (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)),
                               0, m->destination, err);
          if ((saved == EPERM || saved == EBUSY) && strcmp (type, "mqueue") == 0)
            return bind_mount ("/dev/mqueue", fd, MS_BIND | (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), 0,
                               m->destination, err);
          if ((saved == EPERM || saved == EBUSY) && strcmp (type, "cgroup2") == 0)
            return bind_mount (SILO_CGROUP_ROOT, fd, MS_BIND | MS_REC | (m->flags & MS_RDONLY), 0,
                               m->destination, err);
          return silo_error_make (err, saved, "mount `%s` (type %s) on `%s`", m->source ? m->source : type, type,
                                  m->destination);
        }
    }
  if (m->propagation && mount (NULL, target, NULL, m->propagation, NULL) < 0)
    return silo_error_make (err, errno, "set the propagation of `%s`", m->destination);
  return 0;
}

struct default_device
{
  const char *name;
  unsigned int major, minor;
};

static const struct default_device default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int
create_device (int rootfd, const char *path, char type, unsigned int major, unsigned int minor, mode_t mode,
               uid_t uid, gid_t gid, bool bind, silo_error_t *err)
{
  cleanup_close int parent = -1;
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  const char *name = slash + 1;

  if (bind)
    {
      cleanup_close int fd = open_in_root (rootfd, path, true, true, err);
      if (fd < 0)
        return -1;
      return bind_mount (path, fd, MS_BIND, 0, path, err);
    }
  *slash = '\0';
  parent = open_in_root (rootfd, dir[0] ? dir : "/", true, false, err);
  if (parent < 0)
    return -1;
  unlinkat (parent, name, 0);
  if (mknodat (parent, name, (type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR) | mode,
               makedev (major, minor))
      < 0)
    return silo_error_make (err, errno, "mknod `%s`", path);
  if (fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return silo_error_make (err, errno, "chown `%s`", path);
  return 0;
}

static int
create_devices (int rootfd, const struct silo_init_config *cfg, silo_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },        { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },  { "pts/ptmx", "ptmx" },         { "/proc/kcore", "core" },
  };
  cleanup_close int devfd = -1;
  char path[64];
  size_t i;

  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      snprintf (path, sizeof (path), "/dev/%s", default_devices[i].name);
      if (create_device (rootfd, path, 'c', default_devices[i].major, default_devices[i].minor, 0666, 0, 0,
                         cfg->new_userns, err)
          < 0)
        return -1;
    }
  for (i = 0; i < cfg->spec->devices_len; i++)
    {
      const struct silo_spec_device *d = &cfg->spec->devices[i];
      if (create_device (rootfd, d->path, d->type, (unsigned int) d->major, (unsigned int) d->minor, d->file_mode,
                         d->uid, d->gid, cfg->new_userns, err)
          < 0)
        return -1;
    }
  devfd = openat2_in_root (rootfd, "dev", O_PATH | O_DIRECTORY);
  if (devfd < 0)
    return silo_error_make (err, errno, "open /dev in the rootfs");
  for (i = 0; i < ARRAY_SIZE (links); i++)
    if (symlinkat (links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
      return silo_error_make (err, errno, "symlink /dev/%s", links[i][1]);
  return 0;
}

static int
pivot_root_to (const char *rootfs, silo_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    return silo_error_make (err, errno, "open /");
  if (chdir (rootfs) < 0)
    return silo_error_make (err, errno, "chdir to the rootfs `%s`", rootfs);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return silo_error_make (err, errno, "pivot_root into `%s`", rootfs);
  /* The old root is now mounted on top of the new one: detach it, without propagating the
     unmount to the host.  */
  if (fchdir (oldroot) < 0)
    return silo_error_make (err, errno, "fchdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return silo_error_make (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return silo_error_make (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return silo_error_make (err, errno, "chdir /");
  return 0;
}

static int
mask_path (const char *path, silo_error_t *err)
{
  struct stat st;

  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return silo_error_make (err, errno, "maskedPaths: stat `%s`", path);
    }
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
        return silo_error_make (err, errno, "maskedPaths: mount tmpfs on `%s`", path);
    }
  else if (mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0)
    return silo_error_make (err, errno, "maskedPaths: bind /dev/null on `%s`", path);
  return 0;
}

static int
readonly_path (const char *path, silo_error_t *err)
{
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return silo_error_make (err, errno, "readonlyPaths: bind `%s`", path);
    }
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags (path), NULL) < 0)
    return silo_error_make (err, errno, "readonlyPaths: remount `%s` read-only", path);
  return 0;
}

static int
setup_mounts (const struct silo_init_config *cfg, const char *cgroup_file, silo_error_t *err)
{
  const struct silo_spec *spec = cfg->spec;
  cleanup_close int rootfd = -1;
  bool dev_is_tmpfs = false;
  size_t i;

  /* Nothing we mount propagates to the host, and the host's mounts reach us as slaves.  */
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return silo_error_make (err, errno, "make / a recursive slave");
  if (mount (cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return silo_error_make (err, errno, "bind the rootfs `%s` on itself", cfg->rootfs);
  if (mount (NULL, cfg->rootfs, NULL, MS_PRIVATE, NULL) < 0)
    return silo_error_make (err, errno, "make the rootfs private");
  rootfd = open (cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return silo_error_make (err, errno, "open the rootfs `%s`", cfg->rootfs);

  for (i = 0; i < spec->mounts_len; i++)
    {
      const struct silo_spec_mount *m = &spec->mounts[i];
      if (do_mount (rootfd, m, cfg, cgroup_file, err) < 0)
        return -1;
      if (strcmp (m->destination, "/dev") == 0 && !(m->flags & MS_BIND))
        dev_is_tmpfs = true;
    }
  if (dev_is_tmpfs || spec->devices_len > 0)
    {
      mode_t old = umask (0);
      int ret = create_devices (rootfd, cfg, err);
      umask (old);
      if (ret < 0)
        return -1;
    }

  if (pivot_root_to (cfg->rootfs, err) < 0)
    return -1;
  if (spec->rootfs_propagation && mount (NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
    return silo_error_make (err, errno, "set rootfsPropagation");
  return 0;
}

static int
finish_mounts (const struct silo_spec *spec, silo_error_t *err)
{
  size_t i;

  for (i = 0; i < spec->masked_paths_len; i++)
    if (mask_path (spec->masked_paths[i], err) < 0)
      return -1;
  for (i = 0; i < spec->readonly_paths_len; i++)
    if (readonly_path (spec->readonly_paths[i], err) < 0)
      return -1;
  if (spec->root_readonly
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (locked_flags ("/") & ~MS_RDONLY), NULL) < 0)
    return silo_error_make (err, errno, "remount the root read-only");
  return 0;
}

static int
apply_sysctl (const struct silo_spec *spec, silo_error_t *err)
{
  size_t i;

  for (i = 0; i < spec->sysctl_len; i++)
    {
      cleanup_free char *path = NULL;
      char *p;
      xasprintf (&path, "/proc/sys/%s", spec->sysctl_keys[i]);
      for (p = path + 10; *p; p++)
        if (*p == '.')
          *p = '/';
      if (strstr (path, "..") != NULL)
        return silo_error_make (err, EINVAL, "sysctl: invalid key `%s`", spec->sysctl_keys[i]);
      if (silo_write_file (path, spec->sysctl_values[i], err) < 0)
        return silo_error_wrap (err, "sysctl `%s`", spec->sysctl_keys[i]);
    }
  return 0;
}

/* ---- the process: rlimits, user, capabilities, no_new_privs, seccomp ----  */

static int
apply_capabilities (const struct silo_spec_process *p, silo_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  int cap, last = silo_kernel_last_cap ();

  memset (data, 0, sizeof (data));
  data[0].effective = (uint32_t) p->cap_effective;
  data[1].effective = (uint32_t) (p->cap_effective >> 32);
  data[0].permitted = (uint32_t) p->cap_permitted;
  data[1].permitted = (uint32_t) (p->cap_permitted >> 32);
  data[0].inheritable = (uint32_t) p->cap_inheritable;
  data[1].inheritable = (uint32_t) (p->cap_inheritable >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return silo_error_make (err, errno, "capset");
  for (cap = 0; cap <= last; cap++)
    if (p->cap_ambient & (UINT64_C (1) << cap))
      /* Like runc: an ambient capability that is not also permitted and inheritable is
         silently not raised.  */
      (void) prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  return 0;
}

static int
drop_bounding (const struct silo_spec_process *p, silo_error_t *err)
{
  int cap, last = silo_kernel_last_cap ();

  for (cap = 0; cap <= last; cap++)
    if (!(p->cap_bounding & (UINT64_C (1) << cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0
        && errno != EINVAL)
      return silo_error_make (err, errno, "drop capability %d from the bounding set", cap);
  return 0;
}

/* Everything from the rlimits to execve, shared by init and exec.  SYNC_FD gets 'R' before
   the (create) fifo wait; FIFO_FD >= 0 is opened for writing, which blocks until `start`.  */
static int
finalize_process (const struct silo_spec_process *p, const struct silo_spec_seccomp *sc, int sync_fd, int fifo_fd,
                  silo_error_t *err)
{
  cleanup_seccomp scmp_filter_ctx filter = NULL;
  cleanup_free char *exe = NULL;
  bool cwd_done;
  size_t i;

  for (i = 0; i < p->rlimits_len; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return silo_error_make (err, errno, "setrlimit %s", silo_rlimit_name (p->rlimits[i].resource));
    }
  if (sc != NULL && silo_seccomp_build (sc, &filter, err) < 0)
    return -1;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the
     capabilities go.  With it, load it as late as possible.  */
  if (filter != NULL && !p->no_new_privileges && silo_seccomp_load (filter, err) < 0)
    return -1;

  cwd_done = chdir (p->cwd) == 0;
  if (p->has_capabilities && drop_bounding (p, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return silo_error_make (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setgroups (p->additional_gids_len, p->additional_gids) < 0 && !(errno == EPERM && p->additional_gids_len == 0))
    return silo_error_make (err, errno, "setgroups");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    return silo_error_make (err, errno, "setresgid %u", (unsigned) p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    return silo_error_make (err, errno, "setresuid %u", (unsigned) p->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return silo_error_make (err, errno, "prctl PR_SET_KEEPCAPS");
  if (!cwd_done && chdir (p->cwd) < 0)
    return silo_error_make (err, errno, "chdir to the process cwd `%s`", p->cwd);
  if (p->has_capabilities && apply_capabilities (p, err) < 0)
    return -1;
  umask (p->has_umask ? p->umask : 022);

  if (silo_find_executable (p->args[0], p->env, &exe, err) < 0)
    return -1;

  /* From here on the container outlives the runtime (create, run -d).  */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_fd >= 0 && silo_sync_send (sync_fd, 'R', err) < 0)
    return -1;

  if (fifo_fd >= 0)
    {
      char path[64];
      int fd;
      fd_path (path, sizeof (path), fifo_fd);
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return silo_error_make (err, errno, "open exec.fifo");
      if (write (fd, "0", 1) != 1)
        return silo_error_make (err, errno, "write exec.fifo");
      close (fd);
      close (fifo_fd);
    }

  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return silo_error_make (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (filter != NULL && p->no_new_privileges && silo_seccomp_load (filter, err) < 0)
    return -1;

  /* No descriptor of ours reaches the container process.  */
  close_range (3, ~0U, CLOSE_RANGE_CLOEXEC);
  execve (exe, p->args, p->env);
  return silo_error_make (err, errno, "exec `%s`", exe);
}

/* The process's terminal: a pty of the container's own devpts (so that `tty` names it and the
   process can reopen it), its master sent to the runtime, its slave the controlling terminal and
   the standard streams, owned by the process's user.  */
static int
setup_terminal (const struct silo_spec_process *p, int sync_fd, unsigned cols, unsigned rows, silo_error_t *err)
{
  cleanup_close int master = -1;
  int slave = -1;

  if (silo_terminal_open ("/dev/ptmx", &master, &slave, err) < 0)
    return -1;
  if (silo_terminal_set_size (slave, cols, rows, err) < 0 || silo_sync_send_fd (sync_fd, 'T', master, err) < 0)
    goto fail;
  if (fchown (slave, p->uid, (gid_t) -1) < 0)
    {
      silo_error_make (err, errno, "cannot give the terminal to uid %u", (unsigned) p->uid);
      goto fail;
    }
  return silo_terminal_make_controlling (slave, err);

fail:
  close (slave);
  return -1;
}

static void __attribute__ ((noreturn))
child_fail (int sync_fd, silo_error_t *err)
{
  sync_send_error (sync_fd, err);
  _exit (127);
}

/* Read /proc/self/cgroup (before a cgroup namespace hides the paths).  */
static char *
read_self_cgroup (void)
{
  char *text = NULL;
  silo_error_t err = NULL;

  if (silo_read_file ("/proc/self/cgroup", &text, NULL, &err) < 0)
    {
      silo_error_release (&err);
      return xstrdup ("");
    }
  return text;
}

void
silo_linux_init (const struct silo_init_config *cfg)
{
  const struct silo_spec *spec = cfg->spec;
  const struct silo_spec_namespace *ns;
  silo_error_t err = NULL;
  cleanup_free char *cgroup_file = NULL;
  char go = 0;

  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (silo_sync_recv (cfg->sync_fd, &go, &err) < 0 || go != 'G')
    _exit (1);

  if (cfg->new_userns)
    {
      /* Become the namespace's root (if it is mapped) so that what we create is owned by a
         mapped id.  */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          silo_error_make (&err, errno, "user namespace: cannot become root (is container id 0 mapped?)");
          child_fail (cfg->sync_fd, &err);
        }
    }
  /* Namespaces joined by path that the parent could not join for us.  */
  ns = silo_spec_namespace (spec, CLONE_NEWUSER);
  if (ns && ns->path)
    {
      cleanup_close int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWUSER) < 0)
        {
          silo_error_make (&err, errno, "join the user namespace `%s`", ns->path);
          child_fail (cfg->sync_fd, &err);
        }
    }
  ns = silo_spec_namespace (spec, CLONE_NEWNS);
  if (ns && ns->path)
    {
      cleanup_close int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWNS) < 0)
        {
          silo_error_make (&err, errno, "join the mount namespace `%s`", ns->path);
          child_fail (cfg->sync_fd, &err);
        }
    }

  cgroup_file = read_self_cgroup ();
  ns = silo_spec_namespace (spec, CLONE_NEWCGROUP);
  if (ns && ns->path == NULL && unshare (CLONE_NEWCGROUP) < 0)
    {
      silo_error_make (&err, errno, "create the cgroup namespace");
      child_fail (cfg->sync_fd, &err);
    }
  if (setsid () < 0)
    {
      silo_error_make (&err, errno, "setsid");
      child_fail (cfg->sync_fd, &err);
    }

  ns = silo_spec_namespace (spec, CLONE_NEWNS);
  if (ns == NULL)
    {
      silo_error_make (&err, EINVAL, "config.json: a mount namespace is required");
      child_fail (cfg->sync_fd, &err);
    }
  if (ns->path == NULL && setup_mounts (cfg, cgroup_file, &err) < 0)
    child_fail (cfg->sync_fd, &err);

  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    {
      silo_error_make (&err, errno, "sethostname");
      child_fail (cfg->sync_fd, &err);
    }
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    {
      silo_error_make (&err, errno, "setdomainname");
      child_fail (cfg->sync_fd, &err);
    }
  if (apply_sysctl (spec, &err) < 0)
    child_fail (cfg->sync_fd, &err);
  if (finish_mounts (spec, &err) < 0)
    child_fail (cfg->sync_fd, &err);
  if (cfg->terminal
      && setup_terminal (&spec->process, cfg->sync_fd, spec->process.console_cols, spec->process.console_rows, &err) < 0)
    child_fail (cfg->sync_fd, &err);

  finalize_process (&spec->process, spec->seccomp, cfg->sync_fd, cfg->fifo_fd, &err);
  child_fail (cfg->sync_fd, &err);
}

void
silo_linux_exec (const struct silo_exec_config *cfg)
{
  silo_error_t err = NULL;
  char go = 0;

  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (silo_sync_recv (cfg->sync_fd, &go, &err) < 0 || go != 'G')
    _exit (1);
  if (cfg->userns_fd >= 0)
    {
      if (setns (cfg->userns_fd, CLONE_NEWUSER) < 0)
        {
          silo_error_make (&err, errno, "join the container's user namespace");
          child_fail (cfg->sync_fd, &err);
        }
      close (cfg->userns_fd);
      /* The terminal is opened with our fsuid, which must be mapped in the container's user
         namespace for the pty to be the container's (chown-able, reopenable): become its root.  */
      if (cfg->terminal && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
        {
          silo_error_make (&err, errno, "user namespace: cannot become root (is container id 0 mapped?)");
          child_fail (cfg->sync_fd, &err);
        }
    }
  if (cfg->mntns_fd >= 0)
    {
      if (setns (cfg->mntns_fd, CLONE_NEWNS) < 0)
        {
          silo_error_make (&err, errno, "join the container's mount namespace");
          child_fail (cfg->sync_fd, &err);
        }
      close (cfg->mntns_fd);
    }
  if (cfg->terminal && setup_terminal (cfg->process, cfg->sync_fd, cfg->cols, cfg->rows, &err) < 0)
    child_fail (cfg->sync_fd, &err);
  finalize_process (cfg->process, cfg->seccomp, cfg->sync_fd, -1, &err);
  child_fail (cfg->sync_fd, &err);
}
