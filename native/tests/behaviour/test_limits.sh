#!/usr/bin/env bash
# Behaviour: linux.resources reach the container's cgroup (through cgroup.h) and hold.
. "$(dirname "$0")/lib.sh"

# The host file of cgroup setting FILE (v1 controller CTRL) for cgroup path P.
cg_file() {
  local ctrl=$1 p=$2 file=$3
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "/sys/fs/cgroup$p/$file"
  else
    echo "/sys/fs/cgroup/$ctrl$p/$file"
  fi
}

test_memory_cpu_pids_limits_reach_the_cgroup() {
  require_root
  local b=$TEST_TMP/limits id
  id=$(new_id)
  make_bundle "$b" "c['process']['args'] = ['sleep', '60']
c['linux']['cgroupsPath'] = '/silo-test-$$/$id'
c['linux']['resources'].update({'memory': {'limit': 67108864}, 'pids': {'limit': 42},
  'cpu': {'quota': 50000, 'period': 100000, 'shares': 512}})"
  rt run -d --bundle "$b" "$id"
  assert_status 0
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    assert_eq "$(cat "$(cg_file memory "/silo-test-$$/$id" memory.max)")" "67108864"
    assert_eq "$(cat "$(cg_file pids "/silo-test-$$/$id" pids.max)")" "42"
  else
    assert_eq "$(cat "$(cg_file memory "/silo-test-$$/$id" memory.limit_in_bytes)")" "67108864"
    assert_eq "$(cat "$(cg_file pids "/silo-test-$$/$id" pids.max)")" "42"
    assert_eq "$(cat "$(cg_file cpu "/silo-test-$$/$id" cpu.cfs_quota_us)")" "50000"
    assert_eq "$(cat "$(cg_file cpu "/silo-test-$$/$id" cpu.shares)")" "512"
    # ... and the container sees its own cgroup at /sys/fs/cgroup.
    rt exec "$id" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
    assert_eq "$stdout" "67108864"
  fi
  rt delete -f "$id"
  assert_status 0
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind: $(leftover_cgroups "$id")"
  rmdir /sys/fs/cgroup/*/silo-test-$$ 2>/dev/null || true
}

test_memory_limit_kills_a_process_that_exceeds_it() {
  require_root
  local b=$TEST_TMP/oom
  # dd's 200 MiB buffer cannot fit in 32 MiB (no swap either): the kernel OOM-kills it.
  make_bundle "$b" 'c["process"]["args"] = ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"]
c["linux"]["resources"]["memory"] = {"limit": 33554432, "swap": 33554432}'
  rt run --bundle "$b" "$(new_id)"
  assert_status 137
}

test_pids_limit_stops_a_fork_bomb() {
  require_root
  local b=$TEST_TMP/forkbomb
  # The inner shell forks until it cannot (ash then exits); the outer one (PID 1) counts the
  # processes with builtins only.
  make_bundle "$b" 'c["process"]["args"] = ["sh", "-c", "sh -c \"while :; do sleep 30 & done\" 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n"]
c["linux"]["resources"]["pids"] = {"limit": 20}'
  rt run --bundle "$b" "$(new_id)"
  assert_status 0
  [[ $stdout -le 20 ]] || fail "$stdout processes despite pids limit 20"
  [[ $stdout -ge 10 ]] || fail "only $stdout processes: the fork loop did not run"
}

run_tests
