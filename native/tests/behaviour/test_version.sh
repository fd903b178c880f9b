#!/usr/bin/env bash
# Behaviour: version reporting.
. "$(dirname "$0")/lib.sh"

test_dash_dash_version_prints_the_version() {
  runtime --version
  assert_status 0
  [[ $stdout =~ ^silo-runtime\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "unexpected: $stdout"
  assert_contains "$stdout" "spec: 1.2.0"
}

test_version_command_matches_dash_dash_version() {
  runtime --version
  local flag=$stdout
  runtime version
  assert_status 0
  assert_eq "$stdout" "$flag"
}

test_version_rejects_arguments() {
  runtime version extra
  assert_status 1
  assert_contains "$stderr" "takes no arguments"
}

run_tests
