#!/usr/bin/env bash
# Behaviour: `run` of a busybox bundle: exit codes, errors, nothing left behind on failure.
. "$(dirname "$0")/lib.sh"

test_run_true_exits_0_and_leaves_nothing() {
  require_root
  local b=$TEST_TMP/true id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["true"]'
  rt run --bundle "$b" "$id"
  assert_status 0
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind: $(leftover_cgroups "$id")"
}

test_exit_code_passes_through() {
  require_root
  local b=$TEST_TMP/exit
  make_bundle "$b" 'c["process"]["args"] = ["false"]'
  rt run --bundle "$b" "$(new_id)"
  assert_status 1
  make_bundle "$b" 'c["process"]["args"] = ["sh", "-c", "exit 42"]'
  rt run --bundle "$b" "$(new_id)"
  assert_status 42
}

test_death_by_signal_is_128_plus_n() {
  require_root
  local b=$TEST_TMP/sig id runpid i
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["sleep", "30"]'
  "$SILO_RUNTIME" --root "$STATE_ROOT" run --bundle "$b" "$id" &
  runpid=$!
  for i in $(seq 100); do
    [[ -f $STATE_ROOT/$id/state.json ]] && break
    sleep 0.05
  done
  rt kill "$id" KILL
  assert_status 0
  status=0
  wait "$runpid" || status=$?
  assert_status 137
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
}

test_stdout_and_stderr_are_inherited() {
  require_root
  local b=$TEST_TMP/stdio
  make_bundle "$b" 'c["process"]["args"] = ["sh", "-c", "echo out; echo err >&2"]'
  rt run --bundle "$b" "$(new_id)"
  assert_status 0
  assert_eq "$stdout" "out"
  assert_eq "$stderr" "err"
}

test_bundle_defaults_to_the_current_directory() {
  require_root
  local b=$TEST_TMP/cwd
  make_bundle "$b" 'c["process"]["args"] = ["true"]'
  status=0
  (cd "$b" && "$SILO_RUNTIME" --root "$STATE_ROOT" run "$(new_id)") || status=$?
  assert_status 0
}

test_missing_bundle_is_a_clear_error() {
  require_root
  local id
  id=$(new_id)
  rt run --bundle "$TEST_TMP/nope" "$id"
  assert_status 1
  assert_contains "$stderr" "bundle \`$TEST_TMP/nope\`"
  assert_contains "$stderr" "No such file or directory"
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
}

test_bad_json_is_a_clear_error() {
  require_root
  local b=$TEST_TMP/badjson id
  id=$(new_id)
  make_bundle "$b"
  echo '{"ociVersion": "1.0.2", "process": ' >"$b/config.json"
  rt run --bundle "$b" "$id"
  assert_status 1
  assert_contains "$stderr" "config.json is not valid JSON"
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind"
}

test_wrong_types_in_config_are_named() {
  require_root
  local b=$TEST_TMP/badtype
  make_bundle "$b" 'c["process"]["args"] = "true"'
  rt run --bundle "$b" "$(new_id)"
  assert_status 1
  assert_contains "$stderr" "\`process.args\` must be an array of strings"
  make_bundle "$b" 'c["process"]["terminal"] = True'
  rt run -d --bundle "$b" "$(new_id)"
  assert_status 1
  assert_contains "$stderr" "process.terminal"
}

test_missing_command_fails_at_create_and_leaves_nothing() {
  require_root
  local b=$TEST_TMP/nocmd id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["no-such-command"]; c["linux"]["resources"]["pids"] = {"limit": 50}'
  rt run --bundle "$b" "$id"
  assert_status 1
  assert_contains "$stderr" "\`no-such-command\`: executable file not found in \$PATH"
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind: $(leftover_cgroups "$id")"
  rt create --bundle "$b" "$id"
  assert_status 1
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind by create"
}

test_duplicate_id_is_refused() {
  require_root
  local b=$TEST_TMP/dup id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["sleep", "30"]'
  rt run -d --bundle "$b" "$id"
  assert_status 0
  rt run -d --bundle "$b" "$id"
  assert_status 1
  assert_contains "$stderr" "container \`$id\` already exists"
  rt delete --force "$id"
  assert_status 0
}

test_pid_file_is_written() {
  require_root
  local b=$TEST_TMP/pidfile id pid
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["sleep", "30"]'
  rt run -d --pid-file "$TEST_TMP/pid" --bundle "$b" "$id"
  assert_status 0
  pid=$(cat "$TEST_TMP/pid")
  [[ $(cat /proc/"$pid"/comm) == sleep ]] || fail "pid file does not name the sleep process"
  rt delete -f "$id"
  assert_status 0
}

test_same_bundle_runs_under_runc() {
  require_root
  command -v runc >/dev/null || skip "runc is not installed"
  local b=$TEST_TMP/both out
  make_bundle "$b" 'c["process"]["args"] = ["sh", "-c", "echo hi from $(hostname); exit 5"]'
  rt run --bundle "$b" "$(new_id)"
  assert_status 5
  out=$stdout
  status=0
  runc --root "$RUNC_ROOT" run --bundle "$b" "$(new_id)" >"$TEST_TMP/runc.out" 2>&1 || status=$?
  assert_status 5
  assert_eq "$(cat "$TEST_TMP/runc.out")" "$out"
}

run_tests
