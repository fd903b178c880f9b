/* silo-runtime: container state directories.  */
#include "status.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "json_writer.h"
#include "silo-runtime.h"
#include "spec.h"

int
silo_status_validate_id (const char *id, silo_error_t *err)
{
  const char *p;

  if (id == NULL || *id == '\0')
    return silo_error_make (err, EINVAL, "no container id given");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0 || strlen (id) > 1024)
    return silo_error_make (err, EINVAL, "invalid container id `%s`", id);
  for (p = id; *p; p++)
    if (*p == '/' || (unsigned char) *p < 0x20)
      return silo_error_make (err, EINVAL, "invalid container id `%s`: it must be a file name", id);
  return 0;
}

static int
mkdir_p (const char *path, mode_t mode)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  if (mkdir (path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return -1;
  for (p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, mode) < 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

int
silo_status_create_dir (const char *root, const char *id, silo_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (mkdir_p (root, 0700) < 0)
    return silo_error_make (err, errno, "cannot create the state root `%s`", root);
  xasprintf (&dir, "%s/%s", root, id);
  if (mkdir (dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return silo_error_make (err, EEXIST, "container `%s` already exists", id);
      return silo_error_make (err, errno, "cannot create the state directory `%s`", dir);
    }
  return 0;
}

char *
silo_rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64], *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  xasprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

void
silo_status_write_json (struct silo_json_writer *w, const char *key, const struct silo_container_state *state,
                        silo_status_t status)
{
  size_t i;

  silo_json_begin_object (w, key);
  silo_json_string (w, "ociVersion", state->oci_version ? state->oci_version : SILO_OCI_VERSION_MAX);
  silo_json_string (w, "id", state->id);
  silo_json_int (w, "pid", status == SILO_STATUS_STOPPED ? 0 : state->pid);
  silo_json_string (w, "status", silo_status_name (status));
  silo_json_string (w, "bundle", state->bundle ? state->bundle : "");
  silo_json_string (w, "rootfs", state->rootfs ? state->rootfs : "");
  silo_json_string (w, "created", state->created ? state->created : "");
  silo_json_string (w, "owner", "");
  if (state->annotations_len > 0)
    {
      silo_json_begin_object (w, "annotations");
      for (i = 0; i < state->annotations_len; i++)
        silo_json_string (w, state->annotation_keys[i], state->annotation_values[i]);
      silo_json_end_object (w);
    }
  silo_json_end_object (w);
}

int
silo_status_write (const char *root, const struct silo_container_state *state, silo_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *path = NULL;
  struct silo_json_writer w;
  size_t i;
  FILE *f;
  int fd;

  xasprintf (&tmp, "%s/%s/.state.json.tmp", root, state->id);
  xasprintf (&path, "%s/%s/state.json", root, state->id);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return silo_error_make (err, errno, "cannot write `%s`", tmp);
  f = fdopen (fd, "w");
  if (f == NULL)
    {
      close (fd);
      return silo_error_make (err, errno, "cannot write `%s`", tmp);
    }
  silo_json_writer_init (&w, f);
  silo_json_begin_object (&w, NULL);
  silo_json_string (&w, "id", state->id);
  silo_json_int (&w, "pid", state->pid);
  silo_json_uint (&w, "startTime", state->start_time);
  silo_json_string (&w, "bundle", state->bundle ? state->bundle : "");
  silo_json_string (&w, "rootfs", state->rootfs ? state->rootfs : "");
  silo_json_string (&w, "created", state->created ? state->created : "");
  silo_json_string (&w, "cgroupPath", state->cgroup_path ? state->cgroup_path : "");
  silo_json_string (&w, "ociVersion", state->oci_version ? state->oci_version : "");
  silo_json_begin_object (&w, "annotations");
  for (i = 0; i < state->annotations_len; i++)
    silo_json_string (&w, state->annotation_keys[i], state->annotation_values[i]);
  silo_json_end_object (&w);
  silo_json_end_object (&w);
  silo_json_writer_finish (&w);
  if (fflush (f) != 0 || ferror (f))
    {
      fclose (f);
      unlink (tmp);
      return silo_error_make (err, errno ? errno : EIO, "cannot write `%s`", tmp);
    }
  fclose (f);
  if (rename (tmp, path) < 0)
    {
      unlink (tmp);
      return silo_error_make (err, errno, "cannot rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

static yajl_val
member (yajl_val obj, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (obj, path, yajl_t_any);
}

static char *
member_string (yajl_val obj, const char *key)
{
  yajl_val v = member (obj, key);
  return YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

int
silo_status_read (const char *root, const char *id, struct silo_container_state *state, silo_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *json = NULL;
  char errbuf[256];
  yajl_val tree, v;
  size_t i;

  memset (state, 0, sizeof (*state));
  if (silo_status_validate_id (id, err) < 0)
    return -1;
  xasprintf (&path, "%s/%s/state.json", root, id);
  if (silo_read_file (path, &json, NULL, err) < 0)
    {
      if ((*err)->status == ENOENT)
        {
          silo_error_release (err);
          return silo_error_make (err, ENOENT, "container `%s` does not exist", id);
        }
      return -1;
    }
  tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (!YAJL_IS_OBJECT (tree))
    {
      yajl_tree_free (tree);
      return silo_error_make (err, EINVAL, "the state file `%s` is corrupt", path);
    }
  state->id = xstrdup (id);
  v = member (tree, "pid");
  state->pid = YAJL_IS_INTEGER (v) ? (pid_t) YAJL_GET_INTEGER (v) : 0;
  v = member (tree, "startTime");
  state->start_time = YAJL_IS_NUMBER (v) ? strtoull (YAJL_GET_NUMBER (v), NULL, 10) : 0;
  state->bundle = member_string (tree, "bundle");
  state->rootfs = member_string (tree, "rootfs");
  state->created = member_string (tree, "created");
  state->cgroup_path = member_string (tree, "cgroupPath");
  state->oci_version = member_string (tree, "ociVersion");
  v = member (tree, "annotations");
  if (YAJL_IS_OBJECT (v) && v->u.object.len > 0)
    {
      state->annotation_keys = xmalloc0 ((v->u.object.len + 1) * sizeof (char *));
      state->annotation_values = xmalloc0 ((v->u.object.len + 1) * sizeof (char *));
      for (i = 0; i < v->u.object.len; i++)
        if (YAJL_IS_STRING (v->u.object.values[i]))
          {
            state->annotation_keys[state->annotations_len] = xstrdup (v->u.object.keys[i]);
            state->annotation_values[state->annotations_len] = xstrdup (YAJL_GET_STRING (v->u.object.values[i]));
            state->annotations_len++;
          }
    }
  yajl_tree_free (tree);
  return 0;
}

int
silo_status_delete (const char *root, const char *id, silo_error_t *err)
{
  cleanup_free char *dir = NULL;
  DIR *d;
  struct dirent *de;
  int dfd;

  xasprintf (&dir, "%s/%s", root, id);
  d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return silo_error_make (err, errno, "cannot open the state directory `%s`", dir);
    }
  dfd = dirfd (d);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dfd, de->d_name, 0) < 0 && errno != ENOENT)
        {
          int saved = errno;
          closedir (d);
          return silo_error_make (err, saved, "cannot remove `%s/%s`", dir, de->d_name);
        }
    }
  closedir (d);
  if (rmdir (dir) < 0 && errno != ENOENT)
    return silo_error_make (err, errno, "cannot remove the state directory `%s`", dir);
  return 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
silo_status_list (const char *root, char ***ids_out, silo_error_t *err)
{
  DIR *d = opendir (root);
  struct dirent *de;
  char **ids;
  size_t n = 0, cap = 16;

  ids = xmalloc0 ((cap + 1) * sizeof (char *));
  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids_out = ids;
          return 0;
        }
      free (ids);
      return silo_error_make (err, errno, "cannot open the state root `%s`", root);
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        continue;
      if (n == cap)
        {
          cap *= 2;
          ids = realloc (ids, (cap + 1) * sizeof (char *));
          if (ids == NULL)
            abort ();
        }
      ids[n++] = xstrdup (de->d_name);
    }
  closedir (d);
  ids[n] = NULL;
  qsort (ids, n, sizeof (char *), compare_strings);
  *ids_out = ids;
  return 0;
}

/* Field 3 (state) and 22 (starttime) of /proc/PID/stat.  */
static int
read_proc_stat (pid_t pid, char *state, unsigned long long *start_time)
{
  char path[64], buf[1024], *p;
  cleanup_close int fd = -1;
  ssize_t n;
  int field;

  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr (buf, ')'); /* the comm may contain spaces and parentheses */
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  *state = *p;
  /* p is at field 3; skip to field 22.  */
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start_time = strtoull (p, NULL, 10);
  return 0;
}

unsigned long long
silo_process_start_time (pid_t pid)
{
  unsigned long long t = 0;
  char st;

  if (read_proc_stat (pid, &st, &t) < 0)
    return 0;
  return t;
}

bool
silo_process_alive (pid_t pid, unsigned long long start_time)
{
  unsigned long long t = 0;
  char st = 0;

  if (pid <= 0 || read_proc_stat (pid, &st, &t) < 0)
    return false;
  if (st == 'Z' || st == 'X')
    return false;
  return start_time == 0 || t == start_time;
}

silo_status_t
silo_status_get (const char *root, const struct silo_container_state *state)
{
  cleanup_free char *fifo = NULL;

  if (state->pid <= 0)
    return SILO_STATUS_CREATING;
  if (!silo_process_alive (state->pid, state->start_time))
    return SILO_STATUS_STOPPED;
  xasprintf (&fifo, "%s/%s/exec.fifo", root, state->id);
  if (access (fifo, F_OK) == 0)
    return SILO_STATUS_CREATED;
  return SILO_STATUS_RUNNING;
}

const char *
silo_status_name (silo_status_t status)
{
  switch (status)
    {
    case SILO_STATUS_CREATING:
      return "creating";
    case SILO_STATUS_CREATED:
      return "created";
    case SILO_STATUS_RUNNING:
      return "running";
    case SILO_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

void
silo_status_clear (struct silo_container_state *state)
{
  size_t i;

  free (state->id);
  free (state->bundle);
  free (state->rootfs);
  free (state->created);
  free (state->cgroup_path);
  free (state->oci_version);
  for (i = 0; i < state->annotations_len; i++)
    {
      free (state->annotation_keys[i]);
      free (state->annotation_values[i]);
    }
  free (state->annotation_keys);
  free (state->annotation_values);
  memset (state, 0, sizeof (*state));
}
