#!/usr/bin/env bash
# Behaviour: create -> state(created) -> start -> state(running) -> kill -> state(stopped) ->
# delete, list, and exec into a running container.
. "$(dirname "$0")/lib.sh"

state_of() {
  rt state "$1"
  [[ $status -eq 0 ]] || fail "state $1 failed: $stderr"
  printf '%s\n' "$stdout" >"$TEST_TMP/state.json"
  json_get "$TEST_TMP/state.json" "$2"
}

wait_status() {
  local id=$1 want=$2 i
  for i in $(seq 200); do
    [[ $(state_of "$id" status) == "$want" ]] && return 0
    sleep 0.02
  done
  fail "container $id never became $want (is $(state_of "$id" status))"
}

# A running busybox container whose init sleeps; prints its id.
start_sleeper() {
  local b=$TEST_TMP/sleeper id
  id=$(new_id)
  [[ -d $b ]] || make_bundle "$b" 'c["process"]["args"] = ["sleep", "60"]
c["root"]["readonly"] = False' >&2
  "$SILO_RUNTIME" --root "$STATE_ROOT" run -d --bundle "$b" "$id" >&2 || fail "run -d failed"
  echo "$id"
}

test_create_start_kill_delete() {
  require_root
  local b=$TEST_TMP/life id pid
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["sh", "-c", "echo started; sleep 60"]
c["annotations"] = {"org.silo.test": "yes"}'
  rt create --bundle "$b" --pid-file "$TEST_TMP/life.pid" "$id"
  assert_status 0
  assert_eq "$stdout" ""
  assert_eq "$(state_of "$id" status)" "created"
  assert_eq "$(state_of "$id" id)" "$id"
  assert_eq "$(state_of "$id" bundle)" "$b"
  assert_eq "$(state_of "$id" rootfs)" "$b/rootfs"
  assert_contains "$(cat "$TEST_TMP/state.json")" '"org.silo.test": "yes"'
  pid=$(state_of "$id" pid)
  assert_eq "$pid" "$(cat "$TEST_TMP/life.pid")"
  [[ -d /proc/$pid ]] || fail "no process $pid"
  [[ $(state_of "$id" created) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] || fail "created is not RFC 3339"

  rt start "$id"
  assert_status 0
  assert_eq "$(state_of "$id" status)" "running"
  [[ $(cat /proc/"$pid"/comm) == sh || $(cat /proc/"$pid"/comm) == sleep ]] || fail "pid $pid is not the container process"
  rt start "$id"
  assert_status 1
  assert_contains "$stderr" "not created"

  rt delete "$id"
  assert_status 1
  assert_contains "$stderr" "is running"

  rt kill "$id" KILL
  assert_status 0
  wait_status "$id" stopped
  assert_eq "$(state_of "$id" pid)" "0"
  rt kill "$id"
  assert_status 1
  assert_contains "$stderr" "is not running"

  rt delete "$id"
  assert_status 0
  rt state "$id"
  assert_status 1
  assert_contains "$stderr" "does not exist"
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind: $(leftover_cgroups "$id")"
}

test_start_lets_the_process_run() {
  require_root
  local b=$TEST_TMP/startrun id
  id=$(new_id)
  make_bundle "$b" "c['process']['args'] = ['sh', '-c', 'echo ran >/out/file']
c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$TEST_TMP', 'options': ['rbind']})"
  rt create --bundle "$b" "$id"
  assert_status 0
  sleep 0.1
  [[ ! -e $TEST_TMP/file ]] || fail "the process ran before start"
  rt start "$id"
  assert_status 0
  wait_status "$id" stopped
  assert_eq "$(cat "$TEST_TMP/file")" "ran"
  rt delete "$id"
  assert_status 0
}

test_kill_by_name_and_number_and_all() {
  require_root
  local id
  id=$(start_sleeper)
  rt kill "$id" FROB
  assert_status 1
  assert_contains "$stderr" "unknown signal"
  rt kill "$id" 0
  assert_status 0
  rt exec -d "$id" sleep 60
  assert_status 0
  rt kill --all "$id" SIGKILL
  assert_status 0
  wait_status "$id" stopped
  rt delete "$id"
  assert_status 0
}

test_delete_force_of_a_running_container() {
  require_root
  local id pid
  id=$(start_sleeper)
  pid=$(state_of "$id" pid)
  rt delete --force "$id"
  assert_status 0
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left"
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind"
  ! kill -0 "$pid" 2>/dev/null || [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) == Z ]] || fail "process $pid still alive"
}

test_delete_force_of_a_created_container() {
  require_root
  local b=$TEST_TMP/created id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["true"]'
  rt create --bundle "$b" "$id"
  assert_status 0
  rt delete -f "$id"
  assert_status 0
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left"
}

test_list_shows_containers() {
  require_root
  local id
  id=$(start_sleeper)
  rt list
  assert_status 0
  assert_contains "$stdout" "ID"
  assert_contains "$stdout" "$id"
  assert_contains "$stdout" "running"
  rt list --format json
  assert_status 0
  printf '%s\n' "$stdout" >"$TEST_TMP/list.json"
  assert_eq "$(json_get "$TEST_TMP/list.json" "")" "$(cat "$TEST_TMP/list.json" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))')"
  assert_contains "$stdout" "\"id\": \"$id\""
  rt list -q
  assert_contains "$stdout" "$id"
  rt delete -f "$id"
}

test_exec_sees_the_same_pid_namespace_and_exit_code_passes_through() {
  require_root
  local id
  id=$(start_sleeper)
  rt exec "$id" sh -c 'cat /proc/1/comm; echo $$ >/dev/null; hostname'
  assert_status 0
  assert_eq "$stdout" $'sleep\nrunc'
  rt exec "$id" sh -c 'exit 7'
  assert_status 7
  # Its pid is one of the container's (small), and it sees only the container's processes.
  rt exec "$id" sh -c 'echo $$; for p in /proc/[0-9]*; do cat $p/comm; done'
  assert_status 0
  [[ $(head -1 <<<"$stdout") -lt 10 ]] || fail "exec'd shell has pid $(head -1 <<<"$stdout") in the container"
  assert_eq "$(tail -n +2 <<<"$stdout" | sort | tr '\n' ' ')" "sh sleep "
  rt delete -f "$id"
}

test_exec_process_settings() {
  require_root
  local id
  id=$(start_sleeper)
  rt exec --env FOO=bar -e PATH=/bin --cwd /tmp --user 1000:1000 "$id" sh -c 'echo $FOO $PATH; pwd; id -u; id -g; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
  assert_status 0
  assert_eq "$stdout" $'bar /bin\n/tmp\n1000\n1000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0'
  rt exec "$id" grep ^CapEff /proc/self/status
  assert_eq "$stdout" $'CapEff:\t0000000020000420'
  rt exec "$id" no-such-command
  assert_status 1
  assert_contains "$stderr" "executable file not found"
  rt exec "$id" cat /proc/self/cgroup
  assert_contains "$stdout" "memory:/$id"
  rt delete -f "$id"
}

test_exec_with_a_process_file() {
  require_root
  local id
  id=$(start_sleeper)
  cat >"$TEST_TMP/process.json" <<'JSON'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo from process file; exit 3"], "env": ["PATH=/bin"], "cwd": "/"}
JSON
  rt exec --process "$TEST_TMP/process.json" "$id"
  assert_status 3
  assert_eq "$stdout" "from process file"
  rt delete -f "$id"
}

test_exec_detached_writes_the_pid_file() {
  require_root
  local id pid
  id=$(start_sleeper)
  rt exec -d --pid-file "$TEST_TMP/exec.pid" "$id" sleep 60
  assert_status 0
  pid=$(cat "$TEST_TMP/exec.pid")
  [[ $(cat /proc/"$pid"/comm) == sleep ]] || fail "exec pid file does not name sleep"
  rt delete -f "$id"
  assert_status 0
}

test_exec_into_a_stopped_container_fails() {
  require_root
  local b=$TEST_TMP/stopped id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["true"]'
  rt run -d --bundle "$b" "$id"
  assert_status 0
  wait_status "$id" stopped
  rt exec "$id" true
  assert_status 1
  assert_contains "$stderr" "it is stopped"
  rt delete "$id"
  assert_status 0
}

run_tests
