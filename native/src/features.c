/* silo-runtime features: print, as JSON, what this runtime supports, in the
 * shape of the OCI runtime-spec features document (`runc features`), plus a
 * "host" object describing this machine (its cgroup mode).  */
#include "silo-runtime.h"

#include "cgroup.h"
#include "json_writer.h"
#include "linux_defs.h"
#include "silo_seccomp.h"

static void
write_host (struct silo_json_writer *w)
{
  silo_cgroup_mode_t mode;
  silo_error_t err = NULL;
  const char *mode_name = "unknown";

  if (silo_cgroup_detect_mode (NULL, SILO_CGROUP_ROOT, &mode, &err) < 0)
    {
      cleanup_free char *msg = silo_error_format (err);
      fprintf (stderr, "silo-runtime: warning: cannot detect the cgroup mode: %s\n", msg);
      silo_error_release (&err);
    }
  else
    mode_name = silo_cgroup_mode_name (mode);

  silo_json_begin_object (w, "host");
  silo_json_string (w, "cgroupRoot", SILO_CGROUP_ROOT);
  silo_json_string (w, "cgroupMode", mode_name);
  silo_json_end_object (w);
}

static void
write_list (struct silo_json_writer *w, const char *key, const char *const *items)
{
  silo_json_begin_array (w, key);
  for (; *items; items++)
    silo_json_string (w, NULL, *items);
  silo_json_end_array (w);
}

static void
write_linux (struct silo_json_writer *w)
{
  size_t i;
  int cap;

  silo_json_begin_object (w, "linux");

  silo_json_begin_array (w, "namespaces");
  for (i = 0; i < silo_namespaces_count; i++)
    silo_json_string (w, NULL, silo_namespaces[i].name);
  silo_json_end_array (w);

  silo_json_begin_array (w, "capabilities");
  for (cap = 0; cap <= silo_capability_last (); cap++)
    if (silo_capability_name (cap))
      silo_json_string (w, NULL, silo_capability_name (cap));
  silo_json_end_array (w);

  silo_json_begin_object (w, "cgroup");
  silo_json_bool (w, "v1", true);
  silo_json_bool (w, "v2", true);
  silo_json_bool (w, "systemd", false);
  silo_json_bool (w, "systemdUser", false);
  silo_json_end_object (w);

  silo_json_begin_object (w, "seccomp");
  silo_json_bool (w, "enabled", true);
  write_list (w, "actions", silo_seccomp_actions);
  write_list (w, "operators", silo_seccomp_operators);
  write_list (w, "archs", silo_seccomp_architectures);
  silo_json_begin_array (w, "knownFlags");
  silo_json_string (w, NULL, "SECCOMP_FILTER_FLAG_LOG");
  silo_json_string (w, NULL, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  silo_json_string (w, NULL, "SECCOMP_FILTER_FLAG_TSYNC");
  silo_json_end_array (w);
  silo_json_begin_array (w, "supportedFlags");
  silo_json_string (w, NULL, "SECCOMP_FILTER_FLAG_LOG");
  silo_json_string (w, NULL, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  silo_json_end_array (w);
  silo_json_end_object (w);

  silo_json_end_object (w);
}

int
silo_command_features (struct silo_global_arguments *global_args __attribute__ ((unused)),
                       int argc, char **argv, silo_error_t *err)
{
  struct silo_json_writer w;
  size_t i;

  if (argc > 1)
    return silo_error_make (err, 0, "`features` takes no arguments (got `%s`)", argv[1]);

  silo_json_writer_init (&w, stdout);
  silo_json_begin_object (&w, NULL);
  silo_json_string (&w, "ociVersionMin", SILO_OCI_VERSION_MIN);
  silo_json_string (&w, "ociVersionMax", SILO_OCI_VERSION_MAX);

  /* No hooks run yet.  */
  silo_json_begin_array (&w, "hooks");
  silo_json_end_array (&w);

  silo_json_begin_array (&w, "mountOptions");
  for (i = 0; i < silo_mount_options_count; i++)
    silo_json_string (&w, NULL, silo_mount_options[i].name);
  silo_json_end_array (&w);

  write_linux (&w);
  write_host (&w);

  silo_json_end_object (&w);
  silo_json_writer_finish (&w);
  return 0;
}
