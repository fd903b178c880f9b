/* silo-runtime: the state directory of a container, ROOT/ID/:
 *   state.json   what `state` reports and what the other verbs need (written atomically)
 *   exec.fifo    exists between `create` and `start`: the container's init blocks opening it
 *                for writing until `start` opens it for reading.  */
#ifndef SILO_STATUS_H
#define SILO_STATUS_H

#include <stdbool.h>
#include <sys/types.h>

#include "utils.h"

typedef enum
{
  SILO_STATUS_CREATING = 0,
  SILO_STATUS_CREATED,
  SILO_STATUS_RUNNING,
  SILO_STATUS_STOPPED,
} silo_status_t;

struct silo_container_state
{
  char *id;
  pid_t pid;                     /* the container's init, in the host pid namespace */
  unsigned long long start_time; /* its start time (/proc/PID/stat field 22), against pid reuse */
  char *bundle;
  char *rootfs;
  char *created;                 /* RFC 3339 with nanoseconds, UTC */
  char *cgroup_path;             /* linux.cgroupsPath as used */
  char *oci_version;
  char **annotation_keys;        /* NULL-terminated, or NULL */
  char **annotation_values;
  size_t annotations_len;
};

/* ID must be a file name: non-empty, no '/', not "." or "..", at most 1024 bytes.  */
int silo_status_validate_id (const char *id, silo_error_t *err);

/* Create ROOT (0700) if needed and ROOT/ID; fails with EEXIST ("container ID already exists").  */
int silo_status_create_dir (const char *root, const char *id, silo_error_t *err);

/* Write ROOT/ID/state.json atomically.  */
int silo_status_write (const char *root, const struct silo_container_state *state, silo_error_t *err);

/* Read ROOT/ID/state.json ("container `ID` does not exist", ENOENT, if there is none).  */
int silo_status_read (const char *root, const char *id, struct silo_container_state *state, silo_error_t *err);

/* Remove ROOT/ID and everything in it.  A missing directory is not an error.  */
int silo_status_delete (const char *root, const char *id, silo_error_t *err);

/* The ids (sorted, NULL-terminated, malloc'd) of the containers under ROOT.  */
int silo_status_list (const char *root, char ***ids, silo_error_t *err);

/* The status of the container described by STATE, from its process and exec.fifo.  */
silo_status_t silo_status_get (const char *root, const struct silo_container_state *state);
const char *silo_status_name (silo_status_t status);

/* Is PID alive (not a zombie) with start time START_TIME (0: any)?  */
bool silo_process_alive (pid_t pid, unsigned long long start_time);
/* Start time of PID from /proc/PID/stat; 0 if it cannot be read.  */
unsigned long long silo_process_start_time (pid_t pid);

/* Now as "2026-01-02T03:04:05.123456789Z" (malloc'd).  */
char *silo_rfc3339_now (void);

void silo_status_clear (struct silo_container_state *state);

/* Print STATE as `runc state` does (JSON, status filled in) to OUT.  */
struct silo_json_writer;
void silo_status_write_json (struct silo_json_writer *w, const char *key, const struct silo_container_state *state,
                             silo_status_t status);

#endif
