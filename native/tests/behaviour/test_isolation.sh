#!/usr/bin/env bash
# Behaviour: what a process sees inside a container: namespaces, mounts, masked and read-only
# paths, capabilities (compared with runc on the same bundle), user, rlimits, no_new_privs,
# seccomp, sysctl, oomScoreAdj.
. "$(dirname "$0")/lib.sh"

# run_in BUNDLE_EDIT SCRIPT: run SCRIPT with sh in a fresh busybox container.
run_in() {
  local b=$TEST_TMP/b-$RANDOM$RANDOM
  make_bundle "$b" "$1
c['process']['args'] = ['sh', '-c', $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2")]"
  rt run --bundle "$b" "$(new_id)"
}

test_pid_1_is_the_container_process_and_no_host_process_is_visible() {
  require_root
  run_in '' 'echo $$; for p in /proc/[0-9]*; do echo "${p#/proc/}"; done'
  assert_status 0
  assert_eq "$stdout" $'1\n1'
}

test_hostname_and_domainname() {
  require_root
  run_in 'c["hostname"] = "silo-box"; c["domainname"] = "example.test"' 'hostname; cat /proc/sys/kernel/domainname'
  assert_status 0
  assert_eq "$stdout" $'silo-box\nexample.test'
}

test_only_lo_in_a_new_network_namespace() {
  require_root
  run_in '' 'ls /sys/class/net'
  assert_status 0
  assert_eq "$stdout" "lo"
}

test_masked_paths_are_masked() {
  require_root
  run_in 'c["linux"]["maskedPaths"].append("/proc/cpuinfo")' '
    if [ -e /proc/kcore ]; then echo "kcore $(wc -c </proc/kcore)"; else echo "kcore 0"; fi
    echo "keys $(wc -c </proc/keys)"
    echo "timer_list $(wc -c </proc/timer_list)"
    echo "cpuinfo $(wc -c </proc/cpuinfo)"
    echo "firmware $(ls -A /sys/firmware | wc -l)"'
  assert_status 0
  assert_eq "$stdout" $'kcore 0\nkeys 0\ntimer_list 0\ncpuinfo 0\nfirmware 0'
  [[ -e /proc/kcore ]] || echo "#   note: this kernel has no /proc/kcore (CONFIG_PROC_KCORE=n); the other masked paths are checked"
}

test_proc_sys_and_sysfs_and_root_are_read_only() {
  require_root
  run_in '' '
    echo x 2>/dev/null >/proc/sys/kernel/hostname && echo "proc/sys writable"
    touch /sys/x 2>/dev/null && echo "sys writable"
    touch /x 2>/dev/null && echo "root writable"
    grep -q " /sys sysfs ro," /proc/mounts || echo "sysfs not ro"
    echo done'
  assert_status 0
  assert_eq "$stdout" "done"
  run_in 'c["root"]["readonly"] = False' 'touch /x && echo root writable'
  assert_status 0
  assert_eq "$stdout" "root writable"
}

test_dev_has_the_default_devices_and_links() {
  require_root
  run_in '' '
    echo hi >/dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c
    for f in null zero full random urandom tty; do [ -c /dev/$f ] || echo "no /dev/$f"; done
    for l in fd stdin stdout stderr ptmx core; do [ -L /dev/$l ] || echo "no /dev/$l link"; done
    [ -c /dev/pts/ptmx ] || echo "no /dev/pts/ptmx"
    grep -q " /dev/pts devpts " /proc/mounts || echo "no devpts"
    grep -q " /dev/shm tmpfs " /proc/mounts || echo "no /dev/shm"
    grep -q " /dev/mqueue mqueue " /proc/mounts || echo "no mqueue"'
  assert_status 0
  assert_eq "$stdout" $'4\n4'
}

test_capabilities_are_the_14_defaults_and_match_runc() {
  require_root
  command -v runc >/dev/null || skip "runc is not installed"
  local b=$TEST_TMP/caps silo_caps runc_caps
  make_bundle "$b" "
caps = $DOCKER_CAPS
c['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
c['process']['args'] = ['grep', '^Cap', '/proc/self/status']"
  rt run --bundle "$b" "$(new_id)"
  assert_status 0
  silo_caps=$stdout
  assert_contains "$silo_caps" $'CapEff:\t00000000a80425fb'
  assert_contains "$silo_caps" $'CapBnd:\t00000000a80425fb'
  assert_contains "$silo_caps" $'CapPrm:\t00000000a80425fb'
  runc_caps=$(runc --root "$RUNC_ROOT" run --bundle "$b" "$(new_id)" 2>&1)
  assert_eq "$silo_caps" "$runc_caps"
}

test_runc_spec_capabilities_match_runc() {
  require_root
  command -v runc >/dev/null || skip "runc is not installed"
  local b=$TEST_TMP/caps-default runc_caps
  make_bundle "$b" "c['process']['args'] = ['grep', '^Cap', '/proc/self/status']"
  rt run --bundle "$b" "$(new_id)"
  assert_status 0
  runc_caps=$(runc --root "$RUNC_ROOT" run --bundle "$b" "$(new_id)" 2>&1)
  assert_eq "$stdout" "$runc_caps"
}

test_mount_fails() {
  require_root
  run_in "c['process']['capabilities'] = {k: $DOCKER_CAPS for k in ('bounding', 'effective', 'permitted')}" \
    'mount -t tmpfs none /tmp 2>/dev/null && echo mounted; echo $?'
  assert_status 0
  assert_eq "$stdout" "1"
}

test_user_groups_umask_cwd_env() {
  require_root
  run_in 'c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20], "umask": 63}
c["process"]["cwd"] = "/tmp"
c["process"]["env"].append("FOO=bar baz")' \
    'id -u; id -g; grep ^Groups /proc/self/status; umask; pwd; echo "$FOO"'
  assert_status 0
  assert_eq "$stdout" $'1000\n1001\nGroups:\t10 20 \n0077\n/tmp\nbar baz'
}

test_rlimits() {
  require_root
  # (Raising a hard limit needs CAP_SYS_RESOURCE, which the host may not give us: lower only.)
  run_in 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096}]' \
    'ulimit -n; ulimit -H -n; ulimit -c; ulimit -H -c'
  assert_status 0
  assert_eq "$stdout" $'123\n456\n0\n8'
  run_in 'c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' 'true'
  assert_status 1
  assert_contains "$stderr" "unknown rlimit \`RLIMIT_BOGUS\`"
}

test_no_new_privileges() {
  require_root
  run_in '' 'grep ^NoNewPrivs /proc/self/status'
  assert_eq "$stdout" $'NoNewPrivs:\t1'
  run_in 'c["process"]["noNewPrivileges"] = False' 'grep ^NoNewPrivs /proc/self/status'
  assert_eq "$stdout" $'NoNewPrivs:\t0'
}

test_seccomp_rules_from_the_spec_take_effect() {
  require_root
  run_in 'c["linux"]["seccomp"] = {
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]},
    {"names": ["no_such_syscall_name"], "action": "SCMP_ACT_ERRNO"}
  ]}
c["root"]["readonly"] = False' '
    grep ^Seccomp: /proc/self/status
    mkdir /newdir 2>&1
    kill -0 $$ && echo "kill 0 ok"
    kill -USR1 $$ 2>&1 || echo "kill USR1 refused"'
  assert_status 0
  assert_contains "$stdout" $'Seccomp:\t2'
  assert_contains "$stdout" "Permission denied"
  assert_contains "$stdout" "kill 0 ok"
  assert_contains "$stdout" "kill USR1 refused"
}

test_seccomp_without_no_new_privileges() {
  require_root
  run_in 'c["process"]["noNewPrivileges"] = False
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}' \
    'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
  assert_status 0
  assert_eq "$stdout" $'NoNewPrivs:\t0\nSeccomp:\t2'
}

test_bad_seccomp_action_is_an_error() {
  require_root
  run_in 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_FROBNICATE"}' 'true'
  assert_status 1
  assert_contains "$stderr" "unknown seccomp action \`SCMP_ACT_FROBNICATE\`"
}

test_sysctl_and_oom_score_adj() {
  require_root
  run_in 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
c["process"]["oomScoreAdj"] = 500' 'cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj'
  assert_status 0
  assert_eq "$stdout" $'1\n500'
}

test_bind_mount_with_options() {
  require_root
  mkdir -p "$TEST_TMP/data"
  echo payload >"$TEST_TMP/data/file"
  run_in "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$TEST_TMP/data', 'options': ['rbind', 'ro', 'nosuid']})
c['mounts'].append({'destination': '/etc/one-file', 'type': 'bind', 'source': '$TEST_TMP/data/file', 'options': ['bind']})" \
    'cat /data/file; cat /etc/one-file; touch /data/x 2>/dev/null || echo read-only'
  assert_status 0
  assert_eq "$stdout" $'payload\npayload\nread-only'
  [[ ! -e $TEST_TMP/data/x ]] || fail "write reached the host"
}

test_ipc_and_uts_are_new_namespaces() {
  require_root
  run_in '' 'for ns in ipc uts net mnt pid; do readlink /proc/self/ns/$ns; done'
  assert_status 0
  local ns
  for ns in ipc uts net mnt pid; do
    assert_not_contains "$stdout" "$(readlink /proc/self/ns/$ns)"
  done
}

test_joining_a_network_namespace_by_path() {
  require_root
  command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
  local ns=silo-test-$$-netns
  ip netns add "$ns" || skip "cannot create a named network namespace"
  ip -n "$ns" link add dummy0 type dummy 2>/dev/null || ip -n "$ns" link set lo up
  run_in "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/var/run/netns/$ns'}]" \
    'ls /sys/class/net | tr "\n" " "'
  local st=$status out=$stdout
  ip netns delete "$ns"
  status=$st
  assert_status 0
  [[ $out == *dummy0* || $out == "lo " ]] || fail "unexpected interfaces: $out"
  [[ $out == *dummy0* ]] || echo "#   note: no dummy module; checked lo only"
}

run_tests
