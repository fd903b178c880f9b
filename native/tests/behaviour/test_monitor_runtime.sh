#!/usr/bin/env bash
# Behaviour: silo-monitor with the real silo-runtime (`run -d`) and a busybox bundle: logs, exit
# file, cgroup limits and the OOM counter, `kill`, `delete`.  Skipped unless root, with a static
# busybox, `runc spec` to write the bundle's config.json, and a runtime whose `run` works.
. "$(dirname "$0")/lib.sh"

: "${SILO_MONITOR:=$(dirname "$SILO_RUNTIME")/silo-monitor}"
BUSYBOX=$(command -v busybox || true)
ROOT=$TEST_TMP/runtime-root


usable() {
  [[ $(id -u) == 0 && -n $BUSYBOX ]] && command -v runc >/dev/null && command -v python3 >/dev/null &&
    file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'
}

# A busybox bundle running the shell command CMD with a cgroup at /silo-test-PID/ID and
# resources JSON RES; sets B, ID, CGPATH, LOG, EXIT, MPIDFILE.
bundle() {
  local cmd=$1 res=${2:-'{}'}

  ID=silo-mon-$BASHPID
  CGPATH=/silo-test-$BASHPID/$ID
  B=$TEST_TMP/$ID
  LOG=$B.log
  EXIT=$B.exit
  MPIDFILE=$B.monitor-pid
  mkdir -p "$B/rootfs/bin" "$B/rootfs/tmp"
  cp "$BUSYBOX" "$B/rootfs/bin/busybox"
  local c
  for c in sh echo sleep cat dd head; do ln -s busybox "$B/rootfs/bin/$c"; done
  (cd "$B" && runc spec)
  python3 - "$B/config.json" "$cmd" "$CGPATH" "$res" <<'PY'
import json, sys
path, cmd, cgpath, res = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", cmd]
c["linux"]["cgroupsPath"] = cgpath
c["linux"]["resources"] = json.loads(res)
json.dump(c, open(path, "w"), indent=1)
PY
  trap cleanup EXIT
}

cleanup() {
  local st=$?
  "$SILO_RUNTIME" --root "$ROOT" delete --force "$ID" >/dev/null 2>&1 || true
  if [[ -f $MPIDFILE ]]; then
    local m
    m=$(cat "$MPIDFILE")
    [[ $(readlink "/proc/$m/exe" 2>/dev/null) == "$(readlink -f "$SILO_MONITOR")" ]] && kill -9 "$m" 2>/dev/null
  fi
  exit "$st"
}

monitor() {
  status=0
  "$SILO_MONITOR" --runtime "$SILO_RUNTIME" --runtime-root "$ROOT" --bundle "$B" --id "$ID" \
    --log-file "$LOG" --exit-file "$EXIT" --pid-file "$MPIDFILE" "$@" \
    >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" || status=$?
  stdout=$(cat "$TEST_TMP/stdout")
  stderr=$(cat "$TEST_TMP/stderr")
  if [[ $status -ne 0 && $stderr == *"not implemented"* ]]; then
    echo "#   skipped: silo-runtime run is not implemented yet"
    exit 0
  fi
  assert_status 0
}

oom_file() {
  if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
    echo "/sys/fs/cgroup$CGPATH/memory.events"
  else
    echo "/sys/fs/cgroup/memory$CGPATH/memory.oom_control"
  fi
}

wait_for_exit_file() {
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -f $EXIT ]] && return 0
    sleep 0.05
  done
  fail "no exit file after 15 s (log: $(cat "$LOG" 2>/dev/null))"
}

no_cgroup_left() {
  local d top=${CGPATH%/*}
  for d in /sys/fs/cgroup/*"$top" "/sys/fs/cgroup$top"; do
    [[ -e $d ]] && fail "left behind: $d"
  done
  true
}

test_busybox_output_exit_code_and_delete() {
  usable || { echo "#   skipped: needs root, static busybox, runc (for runc spec), python3"; return 0; }
  bundle 'echo hello from busybox; echo oops >&2; cat /proc/self/cgroup; sleep 0.3; exit 5' '{"memory":{"limit":67108864},"pids":{"limit":50}}'
  monitor --oom-file "$(oom_file)"
  [[ $stdout =~ ^[0-9]+$ ]] || fail "no pid: $stdout"
  local mpid
  mpid=$(cat "$MPIDFILE")
  echo "#   silo-monitor RSS with a busybox container: $(awk '/^VmRSS:/ { print $2 }' /proc/"$mpid"/status) kB"
  if [[ -f /sys/fs/cgroup/memory$CGPATH/memory.limit_in_bytes ]]; then
    assert_eq "$(cat "/sys/fs/cgroup/memory$CGPATH/memory.limit_in_bytes")" 67108864
  fi
  wait_for_exit_file
  assert_eq "$(json_get "$EXIT" exitCode)" 5
  assert_eq "$(json_get "$EXIT" signal)" null
  assert_eq "$(json_get "$EXIT" oomKilled)" false
  assert_contains "$(cat "$LOG")" " stdout F hello from busybox"
  assert_contains "$(cat "$LOG")" " stderr F oops"
  if [[ -d /sys/fs/cgroup/memory ]]; then # v1 / hybrid: placed in the memory hierarchy's PATH
    assert_contains "$(cat "$LOG")" "memory:$CGPATH"
  fi
  runtime --root "$ROOT" delete "$ID"
  assert_status 0
  no_cgroup_left
}

test_busybox_killed_through_the_runtime() {
  usable || { echo "#   skipped: needs root, static busybox, runc (for runc spec), python3"; return 0; }
  bundle 'echo up; exec sleep 300'
  monitor
  runtime --root "$ROOT" kill "$ID" KILL
  assert_status 0
  wait_for_exit_file
  assert_eq "$(json_get "$EXIT" signal)" 9
  assert_eq "$(json_get "$EXIT" exitCode)" 137
  runtime --root "$ROOT" delete "$ID"
  assert_status 0
  no_cgroup_left
}

test_busybox_over_its_memory_limit_is_oom_killed() {
  usable || { echo "#   skipped: needs root, static busybox, runc (for runc spec), python3"; return 0; }
  bundle 'echo filling; exec dd if=/dev/zero of=/dev/null bs=64M count=1' \
    '{"memory":{"limit":16777216,"swap":16777216}}'
  monitor --oom-file "$(oom_file)"
  wait_for_exit_file
  echo "#   exit: $(cat "$EXIT")"
  assert_eq "$(json_get "$EXIT" oomKilled)" true
  assert_eq "$(json_get "$EXIT" signal)" 9
  assert_contains "$(cat "$LOG")" "stdout F filling"
  runtime --root "$ROOT" delete "$ID"
  assert_status 0
  no_cgroup_left
}

run_tests
