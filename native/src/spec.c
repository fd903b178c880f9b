/* silo-runtime: config.json parsing with yajl's tree API.  */
#include "spec.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "linux_defs.h"

static inline void
cleanup_yajlp (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
  *v = NULL;
}
#define cleanup_yajl __attribute__ ((cleanup (cleanup_yajlp)))

int
silo_read_file (const char *file, char **out, size_t *len_out, silo_error_t *err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;
  struct stat st;

  if (fd < 0)
    return silo_error_make (err, errno, "cannot open `%s`", file);
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    cap = (size_t) st.st_size + 1;
  if (cap < 4096)
    cap = 4096;
  buf = xmalloc0 (cap + 1);
  for (;;)
    {
      ssize_t n;
      if (len == cap)
        {
          cap *= 2;
          buf = realloc (buf, cap + 1);
          if (buf == NULL)
            abort ();
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return silo_error_make (err, errno, "cannot read `%s`", file);
      if (n == 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  *out = steal_pointer (&buf);
  return 0;
}

/* ---- typed access to the yajl tree ----  */

/* Member KEY of object OBJ, or NULL when absent or JSON null.  */
static yajl_val
member (yajl_val obj, const char *key)
{
  size_t i;

  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return YAJL_IS_NULL (obj->u.object.values[i]) ? NULL : obj->u.object.values[i];
  return NULL;
}

static int
type_error (silo_error_t *err, const char *path, const char *what)
{
  return silo_error_make (err, EINVAL, "config.json: `%s` must be %s", path, what);
}

static int
get_string (yajl_val obj, const char *key, const char *path, char **out, silo_error_t *err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return type_error (err, path, "a string");
  free (*out);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 1;
}

static int
get_bool (yajl_val obj, const char *key, const char *path, bool *out, silo_error_t *err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return type_error (err, path, "true or false");
  *out = YAJL_IS_TRUE (v);
  return 1;
}

/* Integers, read from yajl's text of the number so that values above INT64_MAX
   (18446744073709551615 for an unlimited rlimit) are exact.  */
static int
number_i64 (yajl_val v, const char *path, int64_t min, int64_t max, int64_t *out, silo_error_t *err)
{
  const char *text;
  char *end = NULL;
  long long n;

  if (!YAJL_IS_NUMBER (v))
    return type_error (err, path, "an integer");
  text = YAJL_GET_NUMBER (v);
  errno = 0;
  n = strtoll (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || n < min || n > max)
    return silo_error_make (err, EINVAL, "config.json: `%s` is not an integer in [%" PRId64 ", %" PRId64 "]: %s", path, min, max, text);
  *out = n;
  return 1;
}

static int
number_u64 (yajl_val v, const char *path, uint64_t *out, silo_error_t *err)
{
  const char *text;
  char *end = NULL;
  unsigned long long n;

  if (!YAJL_IS_NUMBER (v))
    return type_error (err, path, "an integer");
  text = YAJL_GET_NUMBER (v);
  errno = 0;
  n = strtoull (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
    return silo_error_make (err, EINVAL, "config.json: `%s` is not an unsigned 64-bit integer: %s", path, text);
  *out = n;
  return 1;
}

static int
get_i64 (yajl_val obj, const char *key, const char *path, int64_t min, int64_t max, int64_t *out,
         silo_error_t *err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  return number_i64 (v, path, min, max, out, err);
}

static int
get_u32 (yajl_val obj, const char *key, const char *path, uint32_t *out, silo_error_t *err)
{
  int64_t n;
  int ret = get_i64 (obj, key, path, 0, UINT32_MAX, &n, err);
  if (ret > 0)
    *out = (uint32_t) n;
  return ret;
}

static int
get_u64 (yajl_val obj, const char *key, const char *path, uint64_t *out, silo_error_t *err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  return number_u64 (v, path, out, err);
}

/* An array of strings into a NULL-terminated malloc'd vector.  */
static int
get_string_array (yajl_val obj, const char *key, const char *path, char ***out, size_t *len,
                  silo_error_t *err)
{
  yajl_val v = member (obj, key);
  size_t i;
  char **vec;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return type_error (err, path, "an array of strings");
  for (i = 0; i < v->u.array.len; i++)
    if (!YAJL_IS_STRING (v->u.array.values[i]))
      return type_error (err, path, "an array of strings");
  vec = xmalloc0 ((v->u.array.len + 1) * sizeof (char *));
  for (i = 0; i < v->u.array.len; i++)
    vec[i] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
  *out = vec;
  *len = v->u.array.len;
  return 1;
}

static void
free_vector (char **vec)
{
  size_t i;
  if (vec == NULL)
    return;
  for (i = 0; vec[i]; i++)
    free (vec[i]);
  free (vec);
}

static int
get_object_map (yajl_val obj, const char *key, const char *path, char ***keys, char ***values,
                size_t *len, silo_error_t *err)
{
  yajl_val v = member (obj, key);
  size_t i, n;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return type_error (err, path, "an object of strings");
  n = v->u.object.len;
  for (i = 0; i < n; i++)
    if (!YAJL_IS_STRING (v->u.object.values[i]))
      return type_error (err, path, "an object of strings");
  *keys = xmalloc0 ((n + 1) * sizeof (char *));
  *values = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    {
      (*keys)[i] = xstrdup (v->u.object.keys[i]);
      (*values)[i] = xstrdup (YAJL_GET_STRING (v->u.object.values[i]));
    }
  *len = n;
  return 1;
}

/* ---- pieces of the spec ----  */

static int
parse_capability_set (yajl_val caps, const char *key, uint64_t *out, silo_error_t *err)
{
  cleanup_free char *path = NULL;
  char **names = NULL;
  size_t len = 0, i;
  int ret;

  xasprintf (&path, "process.capabilities.%s", key);
  ret = get_string_array (caps, key, path, &names, &len, err);
  if (ret <= 0)
    return ret;
  *out = 0;
  for (i = 0; i < len; i++)
    {
      int cap = silo_capability_find (names[i]);
      /* Like runc: a capability this build does not know is ignored.  */
      if (cap >= 0 && cap < 64)
        *out |= UINT64_C (1) << cap;
    }
  free_vector (names);
  return 0;
}

static int
parse_process (yajl_val proc, struct silo_spec_process *p, silo_error_t *err)
{
  yajl_val user, caps, rlimits, v;
  int64_t n;
  size_t i;
  int ret;

  if (!YAJL_IS_OBJECT (proc))
    return type_error (err, "process", "an object");

  if ((ret = get_bool (proc, "terminal", "process.terminal", &p->terminal, err)) < 0)
    return ret;
  v = member (proc, "consoleSize");
  if (v != NULL)
    {
      uint32_t size;
      if (!YAJL_IS_OBJECT (v))
        return type_error (err, "process.consoleSize", "an object");
      if ((ret = get_u32 (v, "width", "process.consoleSize.width", &size, err)) < 0)
        return ret;
      if (ret > 0)
        p->console_cols = size > 0xffff ? 0xffff : size;
      if ((ret = get_u32 (v, "height", "process.consoleSize.height", &size, err)) < 0)
        return ret;
      if (ret > 0)
        p->console_rows = size > 0xffff ? 0xffff : size;
    }

  user = member (proc, "user");
  if (user != NULL)
    {
      uint32_t id;
      if (!YAJL_IS_OBJECT (user))
        return type_error (err, "process.user", "an object");
      if ((ret = get_u32 (user, "uid", "process.user.uid", &id, err)) < 0)
        return ret;
      if (ret > 0)
        p->uid = id;
      if ((ret = get_u32 (user, "gid", "process.user.gid", &id, err)) < 0)
        return ret;
      if (ret > 0)
        p->gid = id;
      if ((ret = get_u32 (user, "umask", "process.user.umask", &id, err)) < 0)
        return ret;
      if (ret > 0)
        {
          p->has_umask = true;
          p->umask = id & 07777;
        }
      v = member (user, "additionalGids");
      if (v != NULL)
        {
          if (!YAJL_IS_ARRAY (v))
            return type_error (err, "process.user.additionalGids", "an array of integers");
          free (p->additional_gids);
          p->additional_gids = xmalloc0 ((v->u.array.len + 1) * sizeof (gid_t));
          p->additional_gids_len = v->u.array.len;
          for (i = 0; i < v->u.array.len; i++)
            {
              if (number_i64 (v->u.array.values[i], "process.user.additionalGids", 0, UINT32_MAX, &n, err) < 0)
                return -1;
              p->additional_gids[i] = (gid_t) n;
            }
        }
    }

  if ((ret = get_string_array (proc, "args", "process.args", &p->args, &p->args_len, err)) < 0)
    return ret;
  if (p->args_len == 0 || p->args[0][0] == '\0')
    return silo_error_make (err, EINVAL, "config.json: `process.args` must be a non-empty array of strings");
  if ((ret = get_string_array (proc, "env", "process.env", &p->env, &p->env_len, err)) < 0)
    return ret;
  if (p->env == NULL)
    p->env = xmalloc0 (sizeof (char *));
  if ((ret = get_string (proc, "cwd", "process.cwd", &p->cwd, err)) < 0)
    return ret;
  if (p->cwd == NULL)
    p->cwd = xstrdup ("/");
  if (p->cwd[0] != '/')
    return silo_error_make (err, EINVAL, "config.json: `process.cwd` must be an absolute path: `%s`", p->cwd);

  caps = member (proc, "capabilities");
  if (caps != NULL)
    {
      if (!YAJL_IS_OBJECT (caps))
        return type_error (err, "process.capabilities", "an object");
      p->has_capabilities = true;
      if (parse_capability_set (caps, "bounding", &p->cap_bounding, err) < 0
          || parse_capability_set (caps, "effective", &p->cap_effective, err) < 0
          || parse_capability_set (caps, "permitted", &p->cap_permitted, err) < 0
          || parse_capability_set (caps, "inheritable", &p->cap_inheritable, err) < 0
          || parse_capability_set (caps, "ambient", &p->cap_ambient, err) < 0)
        return -1;
    }

  rlimits = member (proc, "rlimits");
  if (rlimits != NULL)
    {
      if (!YAJL_IS_ARRAY (rlimits))
        return type_error (err, "process.rlimits", "an array");
      free (p->rlimits);
      p->rlimits = xmalloc0 ((rlimits->u.array.len + 1) * sizeof (struct silo_spec_rlimit));
      p->rlimits_len = rlimits->u.array.len;
      for (i = 0; i < rlimits->u.array.len; i++)
        {
          yajl_val r = rlimits->u.array.values[i];
          cleanup_free char *type = NULL;
          if ((ret = get_string (r, "type", "process.rlimits[].type", &type, err)) < 0)
            return ret;
          if (type == NULL)
            return silo_error_make (err, EINVAL, "config.json: `process.rlimits[%zu].type` is missing", i);
          p->rlimits[i].resource = silo_rlimit_find (type);
          if (p->rlimits[i].resource < 0)
            return silo_error_make (err, EINVAL, "config.json: unknown rlimit `%s`", type);
          if (get_u64 (r, "soft", "process.rlimits[].soft", &p->rlimits[i].soft, err) < 0
              || get_u64 (r, "hard", "process.rlimits[].hard", &p->rlimits[i].hard, err) < 0)
            return -1;
        }
    }

  if ((ret = get_bool (proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges, err)) < 0)
    return ret;
  if ((ret = get_i64 (proc, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &n, err)) < 0)
    return ret;
  if (ret > 0)
    {
      p->has_oom_score_adj = true;
      p->oom_score_adj = (int) n;
    }
  return 0;
}

void
silo_spec_mount_options (struct silo_spec_mount *m, char **options, size_t options_len)
{
  size_t i, data_len = 0;
  char *data;

  m->flags = m->clear = m->propagation = 0;
  free (m->data);
  m->data = NULL;
  for (i = 0; i < options_len; i++)
    data_len += strlen (options[i]) + 1;
  data = xmalloc0 (data_len + 1);
  for (i = 0; i < options_len; i++)
    {
      const struct silo_mount_option_def *opt = silo_mount_option_find (options[i]);
      if (opt != NULL)
        {
          unsigned long prop = MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE;
          if (opt->flags & prop)
            m->propagation |= opt->flags;
          else if (opt->clear)
            {
              m->clear |= opt->flags;
              m->flags &= ~opt->flags;
            }
          else
            {
              m->flags |= opt->flags;
              m->clear &= ~opt->flags;
            }
          continue;
        }
      /* runc's own options that are not for the kernel.  */
      if (strcmp (options[i], "tmpcopyup") == 0 || strcmp (options[i], "idmap") == 0
          || strcmp (options[i], "ridmap") == 0)
        continue;
      if (data[0] != '\0')
        strcat (data, ",");
      strcat (data, options[i]);
    }
  if (data[0] == '\0')
    free (data);
  else
    m->data = data;
}

static int
parse_mounts (yajl_val mounts, struct silo_spec *spec, silo_error_t *err)
{
  size_t i;

  if (!YAJL_IS_ARRAY (mounts))
    return type_error (err, "mounts", "an array");
  spec->mounts = xmalloc0 ((mounts->u.array.len + 1) * sizeof (struct silo_spec_mount));
  spec->mounts_len = mounts->u.array.len;
  for (i = 0; i < mounts->u.array.len; i++)
    {
      yajl_val mv = mounts->u.array.values[i];
      struct silo_spec_mount *m = &spec->mounts[i];
      char **options = NULL;
      size_t options_len = 0;

      if (!YAJL_IS_OBJECT (mv))
        return type_error (err, "mounts[]", "an object");
      if (get_string (mv, "destination", "mounts[].destination", &m->destination, err) < 0
          || get_string (mv, "type", "mounts[].type", &m->type, err) < 0
          || get_string (mv, "source", "mounts[].source", &m->source, err) < 0
          || get_string_array (mv, "options", "mounts[].options", &options, &options_len, err) < 0)
        return -1;
      if (m->destination == NULL || m->destination[0] != '/')
        return silo_error_make (err, EINVAL, "config.json: `mounts[%zu].destination` must be an absolute path", i);
      if (strstr (m->destination, "/../") || (strlen (m->destination) >= 3
                                              && strcmp (m->destination + strlen (m->destination) - 3, "/..") == 0))
        return silo_error_make (err, EINVAL, "config.json: `mounts[%zu].destination` must not contain `..`", i);
      silo_spec_mount_options (m, options, options_len);
      free_vector (options);
      if (m->type != NULL && strcmp (m->type, "bind") == 0)
        {
          free (m->type);
          m->type = NULL;
          if (!(m->flags & MS_BIND))
            m->flags |= MS_BIND;
        }
      if (m->type == NULL && !(m->flags & MS_BIND))
        return silo_error_make (err, EINVAL, "config.json: `mounts[%zu]` (`%s`) has no type and is not a bind mount", i,
                                m->destination);
      if ((m->flags & MS_BIND) && m->source == NULL)
        return silo_error_make (err, EINVAL, "config.json: bind mount `%s` has no source", m->destination);
    }
  return 0;
}

static int
parse_id_mappings (yajl_val arr, const char *path, struct silo_spec_id_map **out, size_t *len, silo_error_t *err)
{
  size_t i;

  if (arr == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (arr))
    return type_error (err, path, "an array");
  *out = xmalloc0 ((arr->u.array.len + 1) * sizeof (struct silo_spec_id_map));
  *len = arr->u.array.len;
  for (i = 0; i < arr->u.array.len; i++)
    {
      yajl_val m = arr->u.array.values[i];
      if (get_u32 (m, "containerID", path, &(*out)[i].container_id, err) < 0
          || get_u32 (m, "hostID", path, &(*out)[i].host_id, err) < 0
          || get_u32 (m, "size", path, &(*out)[i].size, err) < 0)
        return -1;
      if ((*out)[i].size == 0)
        return silo_error_make (err, EINVAL, "config.json: `%s[%zu].size` must be > 0", path, i);
    }
  return 0;
}

static int
parse_propagation (const char *name, const char *path, unsigned long *out, silo_error_t *err)
{
  static const struct
  {
    const char *name;
    unsigned long flags;
  } table[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC }, { "slave", MS_SLAVE },
    { "rslave", MS_SLAVE | MS_REC }, { "shared", MS_SHARED },             { "rshared", MS_SHARED | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (table); i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *out = table[i].flags;
        return 0;
      }
  return silo_error_make (err, EINVAL, "config.json: unknown `%s` `%s`", path, name);
}

static int
parse_resources (yajl_val res, struct silo_cgroup_resources *r, silo_error_t *err)
{
  yajl_val memory, cpu, pids, devices;
  uint64_t u;
  int ret;

  if (res == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (res))
    return type_error (err, "linux.resources", "an object");
  memory = member (res, "memory");
  if (memory != NULL)
    {
      if (get_i64 (memory, "limit", "linux.resources.memory.limit", -1, INT64_MAX, &r->memory_limit, err) < 0
          || get_i64 (memory, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &r->memory_swap, err) < 0
          || get_i64 (memory, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX,
                      &r->memory_reservation, err)
                 < 0)
        return -1;
    }
  cpu = member (res, "cpu");
  if (cpu != NULL)
    {
      if (get_i64 (cpu, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &r->cpu_quota, err) < 0
          || get_u64 (cpu, "period", "linux.resources.cpu.period", &r->cpu_period, err) < 0
          || get_u64 (cpu, "shares", "linux.resources.cpu.shares", &r->cpu_shares, err) < 0
          || get_string (cpu, "cpus", "linux.resources.cpu.cpus", &r->cpuset_cpus, err) < 0
          || get_string (cpu, "mems", "linux.resources.cpu.mems", &r->cpuset_mems, err) < 0)
        return -1;
    }
  devices = member (res, "devices");
  if (devices != NULL && YAJL_IS_ARRAY (devices) && devices->u.array.len > 0)
    {
      /* The first rule denying every device (as runc spec and Docker write it) turns on the
         default allow list; finer rules are not supported yet.  */
      yajl_val first = devices->u.array.values[0];
      yajl_val allow = YAJL_IS_OBJECT (first) ? member (first, "allow") : NULL;
      if (allow != NULL && YAJL_IS_FALSE (allow) && member (first, "type") == NULL && member (first, "major") == NULL)
        r->devices_restrict = 1;
    }
  pids = member (res, "pids");
  if (pids != NULL && (ret = get_i64 (pids, "limit", "linux.resources.pids.limit", INT64_MIN, INT64_MAX,
                                      &r->pids_limit, err))
                          < 0)
    return ret;
  (void) u;
  return 0;
}

static int
parse_devices (yajl_val devs, struct silo_spec *spec, silo_error_t *err)
{
  size_t i;

  if (devs == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (devs))
    return type_error (err, "linux.devices", "an array");
  spec->devices = xmalloc0 ((devs->u.array.len + 1) * sizeof (struct silo_spec_device));
  spec->devices_len = devs->u.array.len;
  for (i = 0; i < devs->u.array.len; i++)
    {
      yajl_val d = devs->u.array.values[i];
      struct silo_spec_device *dev = &spec->devices[i];
      cleanup_free char *type = NULL;
      uint32_t id;
      int ret;

      if (get_string (d, "path", "linux.devices[].path", &dev->path, err) < 0
          || get_string (d, "type", "linux.devices[].type", &type, err) < 0
          || get_i64 (d, "major", "linux.devices[].major", 0, UINT32_MAX, &dev->major, err) < 0
          || get_i64 (d, "minor", "linux.devices[].minor", 0, UINT32_MAX, &dev->minor, err) < 0)
        return -1;
      if (dev->path == NULL || dev->path[0] != '/' || type == NULL || strlen (type) != 1
          || strchr ("cbpu", type[0]) == NULL)
        return silo_error_make (err, EINVAL, "config.json: `linux.devices[%zu]` needs an absolute path and a type c, b, u or p", i);
      dev->type = type[0] == 'u' ? 'c' : type[0];
      dev->file_mode = 0666;
      if ((ret = get_u32 (d, "fileMode", "linux.devices[].fileMode", &id, err)) < 0)
        return ret;
      if (ret > 0)
        dev->file_mode = id & 07777;
      if ((ret = get_u32 (d, "uid", "linux.devices[].uid", &id, err)) < 0)
        return ret;
      if (ret > 0)
        dev->uid = id;
      if ((ret = get_u32 (d, "gid", "linux.devices[].gid", &id, err)) < 0)
        return ret;
      if (ret > 0)
        dev->gid = id;
    }
  return 0;
}

static int
parse_seccomp_action (const char *name, const char *path, uint32_t *out, silo_error_t *err)
{
  static const struct
  {
    const char *name;
    uint32_t action;
  } table[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0) },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0) },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (table); i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *out = table[i].action;
        return 0;
      }
  if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    return silo_error_make (err, ENOTSUP, "config.json: `%s` SCMP_ACT_NOTIFY is not supported (no listener socket)", path);
  return silo_error_make (err, EINVAL, "config.json: unknown seccomp action `%s` in `%s`", name, path);
}

static int
parse_seccomp_op (const char *name, int *out, silo_error_t *err)
{
  static const struct
  {
    const char *name;
    int op;
  } table[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (table); i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *out = table[i].op;
        return 0;
      }
  return silo_error_make (err, EINVAL, "config.json: unknown seccomp operator `%s`", name);
}

static int
parse_seccomp (yajl_val sv, struct silo_spec *spec, silo_error_t *err)
{
  struct silo_spec_seccomp *s;
  cleanup_free char *default_action = NULL;
  char **flags = NULL;
  size_t flags_len = 0, i, j;
  yajl_val syscalls;
  int ret;

  if (sv == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (sv))
    return type_error (err, "linux.seccomp", "an object");
  s = spec->seccomp = xmalloc0 (sizeof (*s));
  if (get_string (sv, "defaultAction", "linux.seccomp.defaultAction", &default_action, err) < 0)
    return -1;
  if (default_action == NULL)
    return silo_error_make (err, EINVAL, "config.json: `linux.seccomp.defaultAction` is missing");
  if (parse_seccomp_action (default_action, "linux.seccomp.defaultAction", &s->default_action, err) < 0)
    return -1;
  if ((ret = get_u32 (sv, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet", &s->default_errno_ret, err)) < 0)
    return ret;
  s->has_default_errno = ret > 0;
  if (get_string_array (sv, "architectures", "linux.seccomp.architectures", &s->architectures,
                        &s->architectures_len, err)
      < 0)
    return -1;
  if (get_string_array (sv, "flags", "linux.seccomp.flags", &flags, &flags_len, err) < 0)
    return -1;
  for (i = 0; i < flags_len; i++)
    {
      if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
        s->flag_log = true;
      else if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        s->flag_spec_allow = true;
      else if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_TSYNC") != 0)
        {
          silo_error_make (err, EINVAL, "config.json: unsupported seccomp flag `%s`", flags[i]);
          free_vector (flags);
          return -1;
        }
    }
  free_vector (flags);

  syscalls = member (sv, "syscalls");
  if (syscalls == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (syscalls))
    return type_error (err, "linux.seccomp.syscalls", "an array");
  s->rules = xmalloc0 ((syscalls->u.array.len + 1) * sizeof (struct silo_spec_seccomp_rule));
  s->rules_len = syscalls->u.array.len;
  for (i = 0; i < syscalls->u.array.len; i++)
    {
      yajl_val rv = syscalls->u.array.values[i], args;
      struct silo_spec_seccomp_rule *r = &s->rules[i];
      cleanup_free char *action = NULL;

      if (!YAJL_IS_OBJECT (rv))
        return type_error (err, "linux.seccomp.syscalls[]", "an object");
      if (get_string_array (rv, "names", "linux.seccomp.syscalls[].names", &r->names, &r->names_len, err) < 0
          || get_string (rv, "action", "linux.seccomp.syscalls[].action", &action, err) < 0)
        return -1;
      if (r->names_len == 0 || action == NULL)
        return silo_error_make (err, EINVAL, "config.json: `linux.seccomp.syscalls[%zu]` needs names and an action", i);
      if (parse_seccomp_action (action, "linux.seccomp.syscalls[].action", &r->action, err) < 0)
        return -1;
      if ((ret = get_u32 (rv, "errnoRet", "linux.seccomp.syscalls[].errnoRet", &r->errno_ret, err)) < 0)
        return ret;
      r->has_errno = ret > 0;
      args = member (rv, "args");
      if (args == NULL)
        continue;
      if (!YAJL_IS_ARRAY (args))
        return type_error (err, "linux.seccomp.syscalls[].args", "an array");
      r->args = xmalloc0 ((args->u.array.len + 1) * sizeof (struct silo_spec_seccomp_arg));
      r->args_len = args->u.array.len;
      for (j = 0; j < args->u.array.len; j++)
        {
          yajl_val av = args->u.array.values[j];
          cleanup_free char *op = NULL;
          uint32_t index = 0;
          if (get_u32 (av, "index", "linux.seccomp.syscalls[].args[].index", &index, err) < 0
              || get_u64 (av, "value", "linux.seccomp.syscalls[].args[].value", &r->args[j].value, err) < 0
              || get_u64 (av, "valueTwo", "linux.seccomp.syscalls[].args[].valueTwo", &r->args[j].value_two, err) < 0
              || get_string (av, "op", "linux.seccomp.syscalls[].args[].op", &op, err) < 0)
            return -1;
          if (index > 5)
            return silo_error_make (err, EINVAL, "config.json: seccomp argument index %u is out of range 0..5", index);
          r->args[j].index = index;
          if (op == NULL)
            return silo_error_make (err, EINVAL, "config.json: `linux.seccomp.syscalls[%zu].args[%zu].op` is missing", i, j);
          if (parse_seccomp_op (op, &r->args[j].op, err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
parse_linux (yajl_val lx, struct silo_spec *spec, silo_error_t *err)
{
  yajl_val namespaces, v;
  cleanup_free char *propagation = NULL;
  size_t i;

  if (lx == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (lx))
    return type_error (err, "linux", "an object");

  namespaces = member (lx, "namespaces");
  if (namespaces != NULL)
    {
      if (!YAJL_IS_ARRAY (namespaces))
        return type_error (err, "linux.namespaces", "an array");
      spec->namespaces = xmalloc0 ((namespaces->u.array.len + 1) * sizeof (struct silo_spec_namespace));
      for (i = 0; i < namespaces->u.array.len; i++)
        {
          yajl_val nv = namespaces->u.array.values[i];
          cleanup_free char *type = NULL;
          const struct silo_namespace_def *def;
          char *path = NULL;
          size_t k;

          if (get_string (nv, "type", "linux.namespaces[].type", &type, err) < 0
              || get_string (nv, "path", "linux.namespaces[].path", &path, err) < 0)
            return -1;
          if (type == NULL)
            {
              free (path);
              return silo_error_make (err, EINVAL, "config.json: `linux.namespaces[%zu].type` is missing", i);
            }
          def = silo_namespace_find (type);
          if (def == NULL)
            {
              free (path);
              return silo_error_make (err, EINVAL, "config.json: unknown namespace type `%s`", type);
            }
          for (k = 0; k < spec->namespaces_len; k++)
            if (spec->namespaces[k].flag == def->clone_flag)
              {
                free (path);
                return silo_error_make (err, EINVAL, "config.json: namespace `%s` is listed twice", type);
              }
          spec->namespaces[spec->namespaces_len].flag = def->clone_flag;
          spec->namespaces[spec->namespaces_len].path = path;
          spec->namespaces_len++;
        }
    }

  if (parse_id_mappings (member (lx, "uidMappings"), "linux.uidMappings", &spec->uid_mappings,
                         &spec->uid_mappings_len, err)
          < 0
      || parse_id_mappings (member (lx, "gidMappings"), "linux.gidMappings", &spec->gid_mappings,
                            &spec->gid_mappings_len, err)
             < 0)
    return -1;
  if (parse_resources (member (lx, "resources"), &spec->resources, err) < 0)
    return -1;
  if (get_string (lx, "cgroupsPath", "linux.cgroupsPath", &spec->cgroups_path, err) < 0)
    return -1;
  if (get_string_array (lx, "maskedPaths", "linux.maskedPaths", &spec->masked_paths, &spec->masked_paths_len, err) < 0
      || get_string_array (lx, "readonlyPaths", "linux.readonlyPaths", &spec->readonly_paths,
                           &spec->readonly_paths_len, err)
             < 0)
    return -1;
  if (get_string (lx, "rootfsPropagation", "linux.rootfsPropagation", &propagation, err) < 0)
    return -1;
  if (propagation != NULL && parse_propagation (propagation, "linux.rootfsPropagation", &spec->rootfs_propagation, err) < 0)
    return -1;
  if (get_object_map (lx, "sysctl", "linux.sysctl", &spec->sysctl_keys, &spec->sysctl_values, &spec->sysctl_len, err) < 0)
    return -1;
  if (parse_devices (member (lx, "devices"), spec, err) < 0)
    return -1;
  if (parse_seccomp (member (lx, "seccomp"), spec, err) < 0)
    return -1;
  v = NULL;
  (void) v;
  return 0;
}

const struct silo_spec_namespace *
silo_spec_namespace (const struct silo_spec *spec, int flag)
{
  size_t i;

  for (i = 0; i < spec->namespaces_len; i++)
    if (spec->namespaces[i].flag == flag)
      return &spec->namespaces[i];
  return NULL;
}

static int
yajl_parse_checked (const char *json, const char *what, yajl_val *out, silo_error_t *err)
{
  char errbuf[512];
  size_t n;

  errbuf[0] = '\0';
  *out = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (*out == NULL)
    {
      /* yajl's message spans lines; keep the first.  */
      n = strcspn (errbuf, "\n");
      errbuf[n] = '\0';
      return silo_error_make (err, EINVAL, "%s is not valid JSON: %s", what, errbuf[0] ? errbuf : "parse error");
    }
  if (!YAJL_IS_OBJECT (*out))
    return silo_error_make (err, EINVAL, "%s must be a JSON object", what);
  return 0;
}

int
silo_spec_parse (const char *json, struct silo_spec **out, silo_error_t *err)
{
  cleanup_yajl yajl_val tree = NULL;
  cleanup_spec struct silo_spec *spec = NULL;
  yajl_val root, proc;

  if (yajl_parse_checked (json, "config.json", &tree, err) < 0)
    return -1;

  spec = xmalloc0 (sizeof (*spec));
  silo_cgroup_resources_init (&spec->resources);

  if (get_string (tree, "ociVersion", "ociVersion", &spec->oci_version, err) < 0)
    return -1;
  if (spec->oci_version == NULL)
    return silo_error_make (err, EINVAL, "config.json: `ociVersion` is missing");
  if (strncmp (spec->oci_version, "1.", 2) != 0)
    return silo_error_make (err, EINVAL, "config.json: unsupported `ociVersion` `%s` (want 1.x)", spec->oci_version);

  root = member (tree, "root");
  if (root == NULL || !YAJL_IS_OBJECT (root))
    return silo_error_make (err, EINVAL, "config.json: `root` is missing or not an object");
  if (get_string (root, "path", "root.path", &spec->root_path, err) < 0
      || get_bool (root, "readonly", "root.readonly", &spec->root_readonly, err) < 0)
    return -1;
  if (spec->root_path == NULL || spec->root_path[0] == '\0')
    return silo_error_make (err, EINVAL, "config.json: `root.path` is missing");

  proc = member (tree, "process");
  if (proc == NULL)
    return silo_error_make (err, EINVAL, "config.json: `process` is missing");
  if (parse_process (proc, &spec->process, err) < 0)
    return -1;

  if (get_string (tree, "hostname", "hostname", &spec->hostname, err) < 0
      || get_string (tree, "domainname", "domainname", &spec->domainname, err) < 0)
    return -1;
  if (member (tree, "mounts") != NULL && parse_mounts (member (tree, "mounts"), spec, err) < 0)
    return -1;
  if (parse_linux (member (tree, "linux"), spec, err) < 0)
    return -1;
  if (get_object_map (tree, "annotations", "annotations", &spec->annotation_keys, &spec->annotation_values,
                      &spec->annotations_len, err)
      < 0)
    return -1;

  if (silo_spec_namespace (spec, CLONE_NEWUSER) == NULL && (spec->uid_mappings_len || spec->gid_mappings_len))
    return silo_error_make (err, EINVAL, "config.json: uid/gid mappings are given without a user namespace");
  if (silo_spec_namespace (spec, CLONE_NEWUSER) != NULL && silo_spec_namespace (spec, CLONE_NEWUSER)->path == NULL
      && (spec->uid_mappings_len == 0 || spec->gid_mappings_len == 0))
    return silo_error_make (err, EINVAL, "config.json: a new user namespace needs `linux.uidMappings` and `linux.gidMappings`");
  if (spec->hostname != NULL && spec->hostname[0] != '\0' && silo_spec_namespace (spec, CLONE_NEWUTS) == NULL)
    return silo_error_make (err, EINVAL, "config.json: `hostname` needs a uts namespace");

  *out = steal_pointer (&spec);
  return 0;
}

int
silo_spec_load (const char *bundle, struct silo_spec **out, silo_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *json = NULL;

  xasprintf (&path, "%s/config.json", bundle);
  if (silo_read_file (path, &json, NULL, err) < 0)
    return -1;
  return silo_spec_parse (json, out, err);
}

int
silo_spec_parse_process (const char *json, struct silo_spec_process *process, silo_error_t *err)
{
  cleanup_yajl yajl_val tree = NULL;

  if (yajl_parse_checked (json, "the process file", &tree, err) < 0)
    return -1;
  return parse_process (tree, process, err);
}

void
silo_spec_process_clear (struct silo_spec_process *p)
{
  free (p->additional_gids);
  free_vector (p->args);
  free_vector (p->env);
  free (p->cwd);
  free (p->rlimits);
  memset (p, 0, sizeof (*p));
}

void
silo_spec_free (struct silo_spec *spec)
{
  size_t i;

  if (spec == NULL)
    return;
  free (spec->oci_version);
  free (spec->root_path);
  free (spec->hostname);
  free (spec->domainname);
  silo_spec_process_clear (&spec->process);
  for (i = 0; i < spec->mounts_len; i++)
    {
      free (spec->mounts[i].destination);
      free (spec->mounts[i].type);
      free (spec->mounts[i].source);
      free (spec->mounts[i].data);
    }
  free (spec->mounts);
  for (i = 0; i < spec->namespaces_len; i++)
    free (spec->namespaces[i].path);
  free (spec->namespaces);
  free (spec->uid_mappings);
  free (spec->gid_mappings);
  free (spec->resources.cpuset_cpus);
  free (spec->resources.cpuset_mems);
  free (spec->cgroups_path);
  free_vector (spec->masked_paths);
  free_vector (spec->readonly_paths);
  free_vector (spec->sysctl_keys);
  free_vector (spec->sysctl_values);
  for (i = 0; i < spec->devices_len; i++)
    free (spec->devices[i].path);
  free (spec->devices);
  if (spec->seccomp)
    {
      for (i = 0; i < spec->seccomp->rules_len; i++)
        {
          free_vector (spec->seccomp->rules[i].names);
          free (spec->seccomp->rules[i].args);
        }
      free (spec->seccomp->rules);
      free_vector (spec->seccomp->architectures);
      free (spec->seccomp);
    }
  free_vector (spec->annotation_keys);
  free_vector (spec->annotation_values);
  free (spec);
}
