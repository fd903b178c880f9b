#!/usr/bin/env bash
# Behaviour: `features` prints a valid OCI features document plus the host's cgroup mode.
. "$(dirname "$0")/lib.sh"

features_json() {
  runtime features
  assert_status 0
  printf '%s\n' "$stdout" >"$TEST_TMP/features.json"
}

test_output_is_valid_json() {
  features_json
  if command -v python3 >/dev/null; then
    python3 -m json.tool "$TEST_TMP/features.json" >/dev/null || fail "not valid JSON: $stdout"
  else
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' \
      "$TEST_TMP/features.json" || fail "not valid JSON: $stdout"
  fi
}

test_lists_versions_namespaces_and_capabilities() {
  features_json
  assert_contains "$stdout" '"namespaces"'
  assert_eq "$(json_get "$TEST_TMP/features.json" ociVersionMax)" "1.2.0"
  assert_eq "$(json_get "$TEST_TMP/features.json" hooks)" "[]"
  local namespaces capabilities
  namespaces=$(json_get "$TEST_TMP/features.json" linux.namespaces)
  for ns in cgroup ipc mount network pid user uts; do
    assert_contains "$namespaces" "\"$ns\""
  done
  capabilities=$(json_get "$TEST_TMP/features.json" linux.capabilities)
  assert_contains "$capabilities" '"CAP_CHOWN"'
  assert_contains "$capabilities" '"CAP_SYS_ADMIN"'
  assert_contains "$(json_get "$TEST_TMP/features.json" mountOptions)" '"rbind"'
  assert_eq "$(json_get "$TEST_TMP/features.json" linux.seccomp.enabled)" "true"
  assert_contains "$(json_get "$TEST_TMP/features.json" linux.seccomp.actions)" '"SCMP_ACT_ERRNO"'
  assert_contains "$(json_get "$TEST_TMP/features.json" linux.seccomp.archs)" '"SCMP_ARCH_X86_64"'
  assert_contains "$(json_get "$TEST_TMP/features.json" linux.seccomp.operators)" '"SCMP_CMP_MASKED_EQ"'
  assert_eq "$(json_get "$TEST_TMP/features.json" linux.cgroup.systemd)" "false"
}

# What stat(1) says about the cgroup mount, mapped the way the runtime maps statfs magic numbers.
expected_cgroup_mode() {
  case $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) in
    cgroup2fs) echo v2 ;;
    tmpfs)
      if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
        echo hybrid
      else
        echo v1
      fi
      ;;
    "") echo unknown ;;
    *) echo v1 ;;
  esac
}

test_host_cgroup_mode_matches_stat() {
  features_json
  local expected
  expected=$(expected_cgroup_mode)
  echo "#   host cgroup mode: $expected"
  assert_eq "$(json_get "$TEST_TMP/features.json" host.cgroupMode)" "$expected"
}

test_write_error_is_reported() {
  [[ -w /dev/full ]] || return 0
  status=0
  "$SILO_RUNTIME" features >/dev/full 2>"$TEST_TMP/stderr" || status=$?
  stderr=$(cat "$TEST_TMP/stderr")
  assert_status 1
  assert_contains "$stderr" "cannot write to standard output"
}

run_tests
