/* Unit tests: config.json parsing (src/spec.c), good and bad input.  */
#include "harness.h"
#include "spec.h"
#include "utils.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/resource.h>

/* A trimmed `runc spec` config.json with the parts under test.  */
static const char *const good =
    "{\"ociVersion\": \"1.0.2-dev\","
    " \"process\": {\"terminal\": false, \"user\": {\"uid\": 1000, \"gid\": 1001, \"additionalGids\": [10, 20], \"umask\": 18},"
    "   \"args\": [\"sh\", \"-c\", \"true\"], \"env\": [\"PATH=/bin\", \"TERM=xterm\"], \"cwd\": \"/work\","
    "   \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\", \"CAP_FUTURE_THING\"], \"effective\": [\"CAP_KILL\"],"
    "                    \"ambient\": [\"CAP_NET_BIND_SERVICE\"]},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551615, \"soft\": 1024}],"
    "   \"noNewPrivileges\": true, \"oomScoreAdj\": -500},"
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    " \"hostname\": \"box\","
    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
    "   {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv\", \"options\": [\"rbind\", \"ro\", \"rprivate\"]}],"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}, {\"type\": \"mount\"}, {\"type\": \"uts\"}],"
    "   \"resources\": {\"memory\": {\"limit\": 67108864, \"swap\": -1}, \"cpu\": {\"quota\": 50000, \"period\": 100000, \"shares\": 512, \"cpus\": \"0-1\"},"
    "                 \"pids\": {\"limit\": 64}, \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
    "   \"cgroupsPath\": \"/silo/abc\","
    "   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"], \"rootfsPropagation\": \"rslave\","
    "   \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},"
    "   \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438}],"
    "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"architectures\": [\"SCMP_ARCH_X86_64\"],"
    "     \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
    "                  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"args\": [{\"index\": 1, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}},"
    " \"annotations\": {\"a\": \"b\"}}";

static void
test_parses_a_full_config (void)
{
  struct silo_spec *spec = NULL;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_spec_parse (good, &spec, &err), 0);
  CHECK_STR_EQ (spec->oci_version, "1.0.2-dev");
  CHECK_STR_EQ (spec->root_path, "rootfs");
  CHECK (spec->root_readonly);
  CHECK_STR_EQ (spec->hostname, "box");
  CHECK_INT_EQ (spec->process.uid, 1000);
  CHECK_INT_EQ (spec->process.gid, 1001);
  CHECK_INT_EQ (spec->process.additional_gids_len, 2);
  CHECK_INT_EQ (spec->process.additional_gids[1], 20);
  CHECK (spec->process.has_umask);
  CHECK_INT_EQ (spec->process.umask, 022);
  CHECK_INT_EQ (spec->process.args_len, 3);
  CHECK_STR_EQ (spec->process.args[2], "true");
  CHECK (spec->process.args[3] == NULL);
  CHECK_STR_EQ (spec->process.env[1], "TERM=xterm");
  CHECK_STR_EQ (spec->process.cwd, "/work");
  CHECK (spec->process.has_capabilities);
  CHECK_INT_EQ (spec->process.cap_bounding, (1ULL << 5) | (1ULL << 0));
  CHECK_INT_EQ (spec->process.cap_effective, 1ULL << 5);
  CHECK_INT_EQ (spec->process.cap_permitted, 0);
  CHECK_INT_EQ (spec->process.cap_ambient, 1ULL << 10);
  CHECK_INT_EQ (spec->process.rlimits_len, 1);
  CHECK_INT_EQ (spec->process.rlimits[0].resource, RLIMIT_NOFILE);
  CHECK (spec->process.rlimits[0].hard == UINT64_MAX);
  CHECK_INT_EQ (spec->process.rlimits[0].soft, 1024);
  CHECK (spec->process.no_new_privileges);
  CHECK (spec->process.has_oom_score_adj);
  CHECK_INT_EQ (spec->process.oom_score_adj, -500);

  CHECK_INT_EQ (spec->mounts_len, 3);
  CHECK_STR_EQ (spec->mounts[1].type, "tmpfs");
  CHECK_INT_EQ (spec->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
  CHECK_STR_EQ (spec->mounts[1].data, "mode=755,size=65536k");
  CHECK (spec->mounts[2].type == NULL);
  CHECK_INT_EQ (spec->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
  CHECK_INT_EQ (spec->mounts[2].propagation, MS_PRIVATE | MS_REC);
  CHECK (spec->mounts[2].data == NULL);

  CHECK_INT_EQ (spec->namespaces_len, 4);
  CHECK (silo_spec_namespace (spec, CLONE_NEWPID) != NULL);
  CHECK (silo_spec_namespace (spec, CLONE_NEWPID)->path == NULL);
  CHECK_STR_EQ (silo_spec_namespace (spec, CLONE_NEWNET)->path, "/var/run/netns/x");
  CHECK (silo_spec_namespace (spec, CLONE_NEWUSER) == NULL);

  CHECK_INT_EQ (spec->resources.memory_limit, 67108864);
  CHECK_INT_EQ (spec->resources.memory_swap, -1);
  CHECK_INT_EQ (spec->resources.memory_reservation, -1);
  CHECK_INT_EQ (spec->resources.cpu_quota, 50000);
  CHECK_INT_EQ (spec->resources.cpu_period, 100000);
  CHECK_INT_EQ (spec->resources.cpu_shares, 512);
  CHECK_STR_EQ (spec->resources.cpuset_cpus, "0-1");
  CHECK (spec->resources.cpuset_mems == NULL);
  CHECK_INT_EQ (spec->resources.pids_limit, 64);
  CHECK_STR_EQ (spec->cgroups_path, "/silo/abc");
  CHECK_STR_EQ (spec->masked_paths[0], "/proc/kcore");
  CHECK_STR_EQ (spec->readonly_paths[0], "/proc/sys");
  CHECK_INT_EQ (spec->rootfs_propagation, MS_SLAVE | MS_REC);
  CHECK_INT_EQ (spec->sysctl_len, 1);
  CHECK_STR_EQ (spec->sysctl_keys[0], "net.ipv4.ip_forward");
  CHECK_STR_EQ (spec->sysctl_values[0], "1");
  CHECK_INT_EQ (spec->devices_len, 1);
  CHECK_INT_EQ (spec->devices[0].type, 'c');
  CHECK_INT_EQ (spec->devices[0].major, 10);
  CHECK_INT_EQ (spec->devices[0].file_mode, 0666);

  CHECK (spec->seccomp != NULL);
  CHECK_INT_EQ (spec->seccomp->default_action, SCMP_ACT_ERRNO (0));
  CHECK (spec->seccomp->has_default_errno);
  CHECK_INT_EQ (spec->seccomp->default_errno_ret, 38);
  CHECK_INT_EQ (spec->seccomp->rules_len, 2);
  CHECK_INT_EQ (spec->seccomp->rules[0].action, SCMP_ACT_ALLOW);
  CHECK_INT_EQ (spec->seccomp->rules[1].args_len, 1);
  CHECK_INT_EQ (spec->seccomp->rules[1].args[0].index, 1);
  CHECK_INT_EQ (spec->seccomp->rules[1].args[0].value, 9);
  CHECK_INT_EQ (spec->seccomp->rules[1].args[0].op, SCMP_CMP_EQ);
  CHECK_INT_EQ (spec->annotations_len, 1);
  CHECK_STR_EQ (spec->annotation_values[0], "b");
  silo_spec_free (spec);
}

static void
test_minimal_config_gets_defaults (void)
{
  struct silo_spec *spec = NULL;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_spec_parse ("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/r\"}, \"process\": {\"args\": [\"x\"]}}",
                                 &spec, &err),
                0);
  CHECK_STR_EQ (spec->process.cwd, "/");
  CHECK (spec->process.env != NULL && spec->process.env[0] == NULL);
  CHECK (!spec->process.has_capabilities);
  CHECK (!spec->root_readonly);
  CHECK_INT_EQ (spec->resources.memory_limit, -1);
  CHECK (spec->seccomp == NULL);
  silo_spec_free (spec);
}

/* Each bad document fails, with a message that contains EXPECT.  */
static void
check_bad (const char *json, const char *expect)
{
  struct silo_spec *spec = NULL;
  silo_error_t err = NULL;

  if (silo_spec_parse (json, &spec, &err) >= 0)
    {
      harness_fail (__FILE__, __LINE__, "accepted: %s", json);
      silo_spec_free (spec);
      return;
    }
  if (err == NULL || strstr (err->msg, expect) == NULL)
    harness_fail (__FILE__, __LINE__, "message `%s` lacks `%s`", err ? err->msg : "(none)", expect);
  silo_error_release (&err);
}

#define BASE "\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}"

static void
test_bad_input_is_rejected_with_the_path_named (void)
{
  check_bad ("", "not valid JSON");
  check_bad ("{\"ociVersion\": ", "not valid JSON");
  check_bad ("[1, 2]", "must be a JSON object");
  check_bad ("{\"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"x\"]}}", "`ociVersion` is missing");
  check_bad ("{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"x\"]}}", "unsupported `ociVersion`");
  check_bad ("{\"ociVersion\": \"1.0.0\", \"process\": {\"args\": [\"x\"]}}", "`root` is missing");
  check_bad ("{" BASE "}", "`process` is missing");
  check_bad ("{" BASE ", \"process\": {}}", "`process.args` must be a non-empty array");
  check_bad ("{" BASE ", \"process\": {\"args\": []}}", "`process.args` must be a non-empty array");
  check_bad ("{" BASE ", \"process\": {\"args\": \"sh\"}}", "`process.args` must be an array of strings");
  check_bad ("{" BASE ", \"process\": {\"args\": [1]}}", "`process.args` must be an array of strings");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"terminal\": 1}}", "process.terminal");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"consoleSize\": 80}}", "process.consoleSize");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"consoleSize\": {\"width\": -1}}}", "process.consoleSize.width");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"cwd\": \"rel\"}}", "absolute path");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"user\": {\"uid\": -1}}}", "process.user.uid");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"user\": {\"uid\": \"0\"}}}", "must be an integer");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"rlimits\": [{\"type\": \"RLIMIT_NOPE\"}]}}", "unknown rlimit");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"oomScoreAdj\": 5000}}", "process.oomScoreAdj");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"], \"noNewPrivileges\": 1}}", "true or false");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"mounts\": [{\"destination\": \"rel\", \"type\": \"tmpfs\"}]}",
             "must be an absolute path");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"mounts\": [{\"destination\": \"/a/../b\", \"type\": \"tmpfs\"}]}",
             "must not contain `..`");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"mounts\": [{\"destination\": \"/a\"}]}", "has no type");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"mounts\": [{\"destination\": \"/a\", \"options\": [\"bind\"]}]}",
             "has no source");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"namespaces\": [{\"type\": \"nope\"}]}}",
             "unknown namespace type `nope`");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}}",
             "listed twice");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"namespaces\": [{\"type\": \"user\"}]}}",
             "needs `linux.uidMappings`");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
             "without a user namespace");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"hostname\": \"h\"}", "needs a uts namespace");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
             "linux.resources.memory.limit");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"rootfsPropagation\": \"sideways\"}}",
             "unknown `linux.rootfsPropagation`");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOPE\"}}}",
             "unknown seccomp action");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\"}}}",
             "not supported");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", "
             "\"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 7, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
             "out of range");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", "
             "\"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_SORTA\"}]}]}}}",
             "unknown seccomp operator");
  check_bad ("{" BASE ", \"process\": {\"args\": [\"x\"]}, \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"z\"}]}}",
             "linux.devices[0]");
}

static void
test_mount_options (void)
{
  struct silo_spec_mount m;
  char *opts[] = { (char *) "ro", (char *) "rw", (char *) "nosuid", (char *) "mode=1777", (char *) "rshared",
                   (char *) "tmpcopyup", (char *) "size=1k" };

  memset (&m, 0, sizeof (m));
  silo_spec_mount_options (&m, opts, ARRAY_SIZE (opts));
  /* The later "rw" wins over "ro".  */
  CHECK_INT_EQ (m.flags, MS_NOSUID);
  CHECK_INT_EQ (m.clear, MS_RDONLY);
  CHECK_INT_EQ (m.propagation, MS_SHARED | MS_REC);
  CHECK_STR_EQ (m.data, "mode=1777,size=1k");
  free (m.data);
}

static void
test_process_file (void)
{
  struct silo_spec_process p;
  silo_error_t err = NULL;

  memset (&p, 0, sizeof (p));
  CHECK_INT_EQ (silo_spec_parse_process ("{\"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\", \"user\": {\"uid\": 5}}", &p, &err), 0);
  CHECK_STR_EQ (p.args[1], "-l");
  CHECK_STR_EQ (p.cwd, "/tmp");
  CHECK_INT_EQ (p.uid, 5);
  CHECK (!p.terminal);
  CHECK_INT_EQ (p.console_cols, 0);
  silo_spec_process_clear (&p);
  memset (&p, 0, sizeof (p));
  CHECK_INT_EQ (silo_spec_parse_process ("{\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": true, "
                                         "\"consoleSize\": {\"width\": 120, \"height\": 30}}", &p, &err), 0);
  CHECK (p.terminal);
  CHECK_INT_EQ (p.console_cols, 120);
  CHECK_INT_EQ (p.console_rows, 30);
  silo_spec_process_clear (&p);
  CHECK (silo_spec_parse_process ("{\"cwd\": \"/\"}", &p, &err) < 0);
  CHECK (strstr (err->msg, "process.args") != NULL);
  silo_error_release (&err);
  silo_spec_process_clear (&p);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_parses_a_full_config),
    HARNESS_TEST (test_minimal_config_gets_defaults),
    HARNESS_TEST (test_bad_input_is_rejected_with_the_path_named),
    HARNESS_TEST (test_mount_options),
    HARNESS_TEST (test_process_file),
  };
  return harness_main ("spec", tests, ARRAY_SIZE (tests));
}
