#!/usr/bin/env bash
# Behaviour: container cgroups on this machine's real cgroup tree (v1, hybrid or v2), driven through
# the test_cgroup_host tool that `make test` builds next to the unit tests.  Each test makes
# /silo-test-<pid>-<n>/x, puts a sleeping process in it, and removes it again (also on failure).
. "$(dirname "$0")/lib.sh"

CGTOOL=${SILO_CGROUP_TOOL:-$(dirname "$SILO_RUNTIME")/obj/tests/unit/test_cgroup_host}
CG=/sys/fs/cgroup
N=0
SLEEPER=

cgtool() {
  status=0
  "$CGTOOL" "$@" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" || status=$?
  stdout=$(cat "$TEST_TMP/stdout")
  stderr=$(cat "$TEST_TMP/stderr")
}

usable() {
  [[ $(id -u) == 0 && -x $CGTOOL ]] && "$CGTOOL" mode >/dev/null 2>&1
}

# Set TOP and LEAF for this test; clean up on exit of the test's subshell.
new_cgroup() {
  N=$((N + 1))
  TOP=/silo-test-$$-$N
  LEAF=$TOP/x
  trap cleanup EXIT
}

cleanup() {
  local st=$?
  "$CGTOOL" destroy "$LEAF" 2>/dev/null || true
  "$CGTOOL" destroy "$TOP" 2>/dev/null || true
  if [[ -n $SLEEPER ]]; then
    kill -9 "$SLEEPER" 2>/dev/null || true
  fi
  exit "$st"
}

# A `sleep 300` that is not this shell's job (so bash prints no "Killed" when it dies); its pid
# in SLEEPER.
start_sleeper() {
  SLEEPER=$(sh -c 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!')
}

wait_until_gone() {
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    # A zombie nobody has reaped yet (its parent may be an init that reaps slowly) is gone too.
    [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.05
  done
  fail "process $1 still running after 10 s"
}

# Every directory the test's path could have left behind.
leftovers() {
  local d
  for d in "$CG"/*"$TOP" "$CG$TOP"; do
    [[ -e $d ]] && echo "$d"
  done
  true
}

test_limits_stats_and_destroy_on_this_host() {
  usable || { echo "#   skipped: needs root and cgroups"; return 0; }
  new_cgroup
  local mode
  mode=$("$CGTOOL" mode)
  echo "#   host cgroup mode: $mode"
  start_sleeper
  cgtool create "$LEAF" "$SLEEPER" memory=67108864 swap=100663296 reservation=33554432 \
    quota=25000 period=50000 shares=512 pids=42 cpus=0 mems=0
  assert_status 0

  if [[ $mode == v2 ]]; then
    assert_eq "$(cat "$CG$LEAF/memory.max")" 67108864
    assert_eq "$(cat "$CG$LEAF/cpu.max")" "25000 50000"
    assert_eq "$(cat "$CG$LEAF/cpu.weight")" 20
    assert_eq "$(cat "$CG$LEAF/pids.max")" 42
    assert_eq "$(cat "$CG$LEAF/cgroup.procs")" "$SLEEPER"
  else
    assert_eq "$(cat "$CG/memory$LEAF/memory.limit_in_bytes")" 67108864
    if [[ -e $CG/memory$LEAF/memory.memsw.limit_in_bytes ]]; then
      assert_eq "$(cat "$CG/memory$LEAF/memory.memsw.limit_in_bytes")" 100663296
    fi
    assert_eq "$(cat "$CG/memory$LEAF/memory.soft_limit_in_bytes")" 33554432
    assert_eq "$(cat "$CG/cpu$LEAF/cpu.cfs_period_us")" 50000
    assert_eq "$(cat "$CG/cpu$LEAF/cpu.cfs_quota_us")" 25000
    assert_eq "$(cat "$CG/cpu$LEAF/cpu.shares")" 512
    assert_eq "$(cat "$CG/pids$LEAF/pids.max")" 42
    assert_eq "$(cat "$CG/cpuset$LEAF/cpuset.cpus")" 0
    assert_eq "$(cat "$CG/cpuset$LEAF/cpuset.mems")" 0
    # The intermediate cpuset level got its parent's cpus so that tasks can join below it.
    assert_eq "$(cat "$CG/cpuset$TOP/cpuset.cpus")" "$(cat "$CG/cpuset/cpuset.cpus")"
    local h
    for h in memory cpu cpuacct cpuset pids freezer; do
      assert_eq "$(cat "$CG/$h$LEAF/cgroup.procs")" "$SLEEPER"
    done
    assert_contains "$(cat /proc/$SLEEPER/cgroup)" ":memory:$LEAF"
    if [[ $mode == hybrid ]]; then
      assert_eq "$(cat "$CG/unified$LEAF/cgroup.procs")" "$SLEEPER"
      assert_contains "$(cat /proc/$SLEEPER/cgroup)" "0::$LEAF"
    fi
  fi

  cgtool stats "$LEAF"
  assert_status 0
  assert_contains "$stdout" "memory_limit=67108864"
  assert_contains "$stdout" "pids_limit=42"
  assert_contains "$stdout" "pids_current=1"
  assert_contains "$stdout" "oom_kill=0"

  cgtool oom-file "$LEAF"
  [[ -f $stdout ]] || fail "oom file $stdout does not exist"
  grep -q '^oom_kill ' "$stdout" || fail "no oom_kill line in $stdout"

  cgtool destroy "$LEAF"
  assert_status 0
  wait_until_gone "$SLEEPER"
  SLEEPER=
  assert_eq "$(leftovers)" ""
  cgtool destroy "$LEAF"
  assert_status 0
}

test_enter_moves_a_second_process() {
  usable || { echo "#   skipped: needs root and cgroups"; return 0; }
  new_cgroup
  start_sleeper
  cgtool create "$LEAF" 0
  assert_status 0
  cgtool enter "$LEAF" "$SLEEPER"
  assert_status 0
  cgtool stats "$LEAF"
  assert_contains "$stdout" "pids_current=1"
  assert_contains "$stdout" "memory_limit=-1"
  cgtool destroy "$LEAF"
  assert_status 0
  wait_until_gone "$SLEEPER"
  SLEEPER=
  assert_eq "$(leftovers)" ""
}

test_shared_parent_is_kept_while_a_sibling_lives() {
  usable || { echo "#   skipped: needs root and cgroups"; return 0; }
  new_cgroup
  cgtool create "$TOP/a" 0
  assert_status 0
  cgtool create "$TOP/b" 0
  assert_status 0
  cgtool destroy "$TOP/a"
  assert_status 0
  [[ -d $CG/memory$TOP/b || -d $CG$TOP/b ]] || fail "sibling cgroup $TOP/b was removed"
  cgtool destroy "$TOP/b"
  assert_status 0
  assert_eq "$(leftovers)" ""
}

test_errors_are_clear_and_leave_nothing() {
  usable || { echo "#   skipped: needs root and cgroups"; return 0; }
  new_cgroup
  cgtool create "relative/path" 0
  assert_status 1
  assert_contains "$stderr" "invalid cgroups path \`relative/path\`: it must be absolute"
  cgtool create "$TOP/../x" 0
  assert_status 1
  assert_contains "$stderr" "\`.\` and \`..\` components are not allowed"
  cgtool create "$LEAF" 0 memory=1048576 cpus=4000
  assert_status 1
  assert_contains "$stderr" "cpuset.cpus"
  assert_eq "$(leftovers)" ""
}

run_tests
