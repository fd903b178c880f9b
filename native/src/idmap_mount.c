/* silo-runtime idmap-mount --uid-map C:H:S... --gid-map C:H:S... [--read-only] [--recursive] SRC DST
 *
 * Not a runc verb: the node agent uses it to show image files with their right owners inside a
 * user namespace.  It makes an idmapped bind mount of SRC on DST: open_tree (OPEN_TREE_CLONE)
 * detaches a copy of the SRC mount, mount_setattr (MOUNT_ATTR_IDMAP) gives it the id mapping of
 * a user namespace holding the maps (a file owned by id C on disk appears owned by host id H),
 * and move_mount attaches it at DST.  Overlayfs accepts such mounts as lower layers (Linux >=
 * 5.19), so the agent idmaps each read-only lower dir and mounts the overlay over them.  */
#include "commands.h"

#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "linux.h"

static int
parse_map (const char *text, struct silo_spec_id_map *map, silo_error_t *err)
{
  unsigned int c, h, s;
  char extra;

  if (sscanf (text, "%u:%u:%u%c", &c, &h, &s, &extra) != 3 || s == 0)
    return silo_error_make (err, EINVAL, "idmap-mount: bad map `%s` (want CONTAINERID:HOSTID:SIZE)", text);
  map->container_id = c;
  map->host_id = h;
  map->size = s;
  return 0;
}

/* A user namespace with these maps, as an fd: a child creates it and waits while we write its
   maps and open it, then exits.  */
static int
make_userns (const struct silo_spec_id_map *uid, size_t uid_len, const struct silo_spec_id_map *gid, size_t gid_len,
             silo_error_t *err)
{
  int pipefd[2];
  char path[64];
  pid_t pid;
  int fd = -1;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return silo_error_make (err, errno, "pipe");
  pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return silo_error_make (err, errno, "clone a user namespace");
    }
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      while (read (pipefd[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (pipefd[0]);
  if (silo_linux_write_id_maps (pid, uid, uid_len, gid, gid_len, err) == 0)
    {
      snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        silo_error_make (err, errno, "open `%s`", path);
    }
  close (pipefd[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

int
silo_command_idmap_mount (struct silo_global_arguments *global __attribute__ ((unused)), int argc, char **argv,
                          silo_error_t *err)
{
  static const struct option options[] = {
    { "uid-map", required_argument, NULL, 'u' }, { "gid-map", required_argument, NULL, 'g' },
    { "read-only", no_argument, NULL, 'r' },     { "recursive", no_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free struct silo_spec_id_map *uid = xmalloc0 ((size_t) argc * sizeof (*uid));
  cleanup_free struct silo_spec_id_map *gid = xmalloc0 ((size_t) argc * sizeof (*gid));
  size_t uid_len = 0, gid_len = 0;
  bool read_only = false, recursive = false;
  cleanup_close int userns = -1;
  cleanup_close int tree = -1;
  struct mount_attr attr;
  const char *src, *dst;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, ":", options, NULL)) != -1)
    {
      switch (c)
        {
        case 'u':
          if (parse_map (optarg, &uid[uid_len++], err) < 0)
            return -1;
          break;
        case 'g':
          if (parse_map (optarg, &gid[gid_len++], err) < 0)
            return -1;
          break;
        case 'r':
          read_only = true;
          break;
        case 'R':
          recursive = true;
          break;
        case ':':
          return silo_error_make (err, 0, "idmap-mount: option `%s` needs an argument", argv[optind - 1]);
        default:
          return silo_error_make (err, 0, "idmap-mount: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (argc - optind != 2)
    return silo_error_make (err, 0, "idmap-mount: usage: idmap-mount --uid-map C:H:S --gid-map C:H:S [--read-only] "
                                    "[--recursive] SRC DST");
  if (uid_len == 0 || gid_len == 0)
    return silo_error_make (err, 0, "idmap-mount: at least one --uid-map and one --gid-map are needed");
  src = argv[optind];
  dst = argv[optind + 1];

  userns = make_userns (uid, uid_len, gid, gid_len, err);
  if (userns < 0)
    return -1;
  tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return silo_error_make (err, errno, "idmap-mount: open_tree `%s`", src);
  memset (&attr, 0, sizeof (attr));
  attr.attr_set = MOUNT_ATTR_IDMAP | (read_only ? MOUNT_ATTR_RDONLY : 0);
  attr.userns_fd = (uint64_t) userns;
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof (attr)) < 0)
    {
      if (errno == EINVAL)
        return silo_error_make (err, errno, "idmap-mount: the filesystem of `%s` does not support idmapped mounts "
                                            "(or the maps are invalid)", src);
      return silo_error_make (err, errno, "idmap-mount: mount_setattr MOUNT_ATTR_IDMAP on `%s`", src);
    }
  if (move_mount (tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return silo_error_make (err, errno, "idmap-mount: move_mount to `%s`", dst);
  return 0;
}
