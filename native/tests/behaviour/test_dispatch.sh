#!/usr/bin/env bash
# Behaviour: command-line dispatch, help and errors.
. "$(dirname "$0")/lib.sh"

test_help_lists_commands_and_exits_0() {
  runtime --help
  assert_status 0
  assert_contains "$stdout" "Usage: silo-runtime"
  assert_contains "$stdout" "features"
  assert_contains "$stdout" "--root"
  assert_contains "$stdout" "run         create and start a container"
  assert_not_contains "$stdout" "not implemented"
}

test_unknown_command_names_it_and_lists_commands() {
  runtime frobnicate
  assert_status 1
  assert_eq "$stdout" ""
  assert_contains "$stderr" "unknown command \`frobnicate\`"
  assert_contains "$stderr" "create, delete, exec, features, idmap-mount, kill, list, run, start, state, version"
}

test_no_command_is_an_error() {
  runtime
  assert_status 1
  assert_contains "$stderr" "no command given"
}

test_unknown_option_is_an_error() {
  runtime --frobnicate version
  assert_status 1
  assert_contains "$stderr" "unknown option \`--frobnicate\`"
}

test_missing_option_argument_is_an_error() {
  runtime --root
  assert_status 1
  assert_contains "$stderr" "needs an argument"
}

test_global_options_come_before_the_command() {
  runtime --root "$TEST_TMP/state" --log="$TEST_TMP/log" version
  assert_status 0
  assert_contains "$stdout" "silo-runtime version"
}

test_every_container_command_wants_an_id() {
  for command in create start state kill delete exec run; do
    runtime --root "$TEST_TMP/state" "$command"
    assert_status 1
    assert_contains "$stderr" "no container id given"
  done
}

test_unknown_container_is_an_error() {
  for command in start state kill delete; do
    runtime --root "$TEST_TMP/state" "$command" no-such-container
    assert_status 1
    assert_contains "$stderr" "container \`no-such-container\` does not exist"
  done
}

test_errors_are_appended_to_the_log_file() {
  runtime --root "$TEST_TMP/state" --log "$TEST_TMP/runtime.log" state my-container
  assert_status 1
  [[ -f $TEST_TMP/runtime.log ]] || fail "no log file written"
  local log
  log=$(cat "$TEST_TMP/runtime.log")
  assert_contains "$log" 'level=error msg="container `my-container` does not exist'
}

test_unwritable_log_file_is_an_error() {
  runtime --log "$TEST_TMP/missing-dir/runtime.log" version
  assert_status 1
  assert_contains "$stderr" "cannot open log file"
}

run_tests
