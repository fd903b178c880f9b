/* silo-runtime: what runs inside the container's namespaces, before execve: mounts, devices,
 * pivot_root, masked/read-only paths, hostname, sysctl, rlimits, user, capabilities,
 * no_new_privs and seccomp.  Also the sync protocol between the runtime and its child.
 *
 * Sync protocol (one SOCK_SEQPACKET socketpair, one message per packet):
 *   parent -> child  'G'        maps written, cgroup joined: go on
 *   child -> parent  'R'        set up; (create: waiting on exec.fifo) about to execve
 *   child -> parent  'T' + fd   (with a terminal) the pty master, as SCM_RIGHTS, before 'R'
 *   child -> parent  'E' text   failed with message TEXT; the child then exits
 *   EOF after 'R'               execve succeeded (the socket is close-on-exec)  */
#ifndef SILO_LINUX_H
#define SILO_LINUX_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "spec.h"
#include "utils.h"

struct silo_init_config
{
  const struct silo_spec *spec;
  const char *rootfs;   /* absolute path of the container's root */
  int sync_fd;          /* the child's end of the sync socket */
  int fifo_fd;          /* O_PATH fd of exec.fifo (create), or -1 (run) */
  bool new_userns;      /* the clone created a user namespace */
  silo_cgroup_mode_t cgroup_mode;
  bool terminal;        /* open a pty in the container, send its master ('T') */
};

/* The container's init, in the child of clone (): never returns.  */
void silo_linux_init (const struct silo_init_config *cfg) __attribute__ ((noreturn));

struct silo_exec_config
{
  const struct silo_spec_process *process;
  const struct silo_spec_seccomp *seccomp;
  int sync_fd;
  int userns_fd; /* -1: do not join */
  int mntns_fd;  /* -1: do not join */
  bool terminal; /* open a pty in the container, send its master ('T'), make it the process's */
  unsigned cols, rows; /* its window size (0: the default) */
};

/* The process `exec` starts, in the forked child: never returns.  */
void silo_linux_exec (const struct silo_exec_config *cfg) __attribute__ ((noreturn));

/* Sync helpers.  */
int silo_sync_send (int fd, char what, silo_error_t *err);
/* Wait for one message; *WHAT is the byte, 0 on EOF.  An 'E' message becomes *ERR.  */
int silo_sync_recv (int fd, char *what, silo_error_t *err);
/* A message with a file descriptor (SCM_RIGHTS).  */
int silo_sync_send_fd (int fd, char what, int passed, silo_error_t *err);
/* As silo_sync_recv; *PASSED gets the descriptor the message carried (close-on-exec), or -1.  */
int silo_sync_recv_fd (int fd, char *what, int *passed, silo_error_t *err);

/* Write the id maps of PID (parent side of the user namespace dance).  */
int silo_linux_write_id_maps (pid_t pid, const struct silo_spec_id_map *uid, size_t uid_len,
                              const struct silo_spec_id_map *gid, size_t gid_len, silo_error_t *err);

/* Look FILE up as execvp would (PATH from ENV, or a default), relative names from the cwd.
   *OUT is malloc'd.  */
int silo_find_executable (const char *file, char *const *env, char **out, silo_error_t *err);

/* Write the whole string DATA to FILE (O_WRONLY, no create).  */
int silo_write_file (const char *file, const char *data, silo_error_t *err);

/* The highest capability number the running kernel knows.  */
int silo_kernel_last_cap (void);

#endif
