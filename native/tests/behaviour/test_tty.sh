#!/usr/bin/env bash
# Behaviour: `exec --tty` (a pseudo-terminal of the container's own devpts, relayed by the
# runtime), --cols/--rows, the control fd (resize, signal, end of file kills), exit codes, and
# `run` with `process.terminal: true`.
. "$(dirname "$0")/lib.sh"

# A running busybox container whose init sleeps; prints its id.  EDIT: more python for config.json.
start_sleeper() {
  local b=$TEST_TMP/sleeper${2:+-$2} id
  id=$(new_id)
  [[ -d $b ]] || make_bundle "$b" "c['process']['args'] = ['sleep', '60']
${1:-}" >&2
  "$SILO_RUNTIME" --root "$STATE_ROOT" run -d --bundle "$b" "$id" >&2 || fail "run -d failed"
  echo "$id"
}

# Output without the terminal's carriage returns.
plain() {
  tr -d '\r' <<<"$1"
}

test_exec_tty_gives_the_process_a_terminal() {
  require_root
  local id out
  id=$(start_sleeper)
  rt exec --tty "$id" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo all-ttys; tty; ls /dev/pts' </dev/null
  assert_status 0
  out=$(plain "$stdout")
  assert_contains "$out" "all-ttys"
  # `tty` names it: the pty is the container's own (its devpts), not the host's.
  grep -qx '/dev/pts/[0-9]*' <<<"$out" || fail "tty printed no /dev/pts path: $out"
  assert_eq "$stderr" ""
  # Without --tty: no terminal.
  rt exec "$id" sh -c 'test -t 0 || echo no-tty' </dev/null
  assert_eq "$stdout" "no-tty"
  rt delete -f "$id"
}

test_exec_tty_runs_an_interactive_shell_from_stdin() {
  require_root
  local id out
  id=$(start_sleeper)
  rt exec --tty "$id" sh <<<'echo hi; tty; exit 3'
  assert_status 3
  out=$(plain "$stdout")
  grep -qx 'hi' <<<"$out" || fail "no line 'hi' in: $out"
  grep -qx '/dev/pts/[0-9]*' <<<"$out" || fail "no /dev/pts line in: $out"
  # End of input reaches the terminal as its EOF character (^D).
  rt exec --tty "$id" sh -c 'cat >/dev/null; echo cat-done' <<<'a line'
  assert_status 0
  assert_contains "$(plain "$stdout")" "cat-done"
  rt delete -f "$id"
}

test_exec_tty_window_size() {
  require_root
  local id
  id=$(start_sleeper)
  rt exec --tty --cols 123 --rows 45 "$id" stty size </dev/null
  assert_status 0
  assert_eq "$(plain "$stdout")" "45 123"
  rt exec --cols 10 "$id" true
  assert_status 1
  assert_contains "$stderr" "--cols and --rows need --tty"
  rt exec --tty --cols 0 "$id" true
  assert_status 1
  assert_contains "$stderr" "--cols wants a number"
  rt delete -f "$id"
}

test_exec_process_file_with_terminal() {
  require_root
  local id
  id=$(start_sleeper)
  cat >"$TEST_TMP/process.json" <<'EOF2'
{"terminal": true, "consoleSize": {"width": 66, "height": 22}, "user": {"uid": 0, "gid": 0},
 "args": ["sh", "-c", "test -t 0 && stty size"], "env": ["PATH=/bin"], "cwd": "/"}
EOF2
  rt exec --process "$TEST_TMP/process.json" "$id" </dev/null
  assert_status 0
  assert_eq "$(plain "$stdout")" "22 66"
  # --rows wins over consoleSize.
  rt exec --tty --rows 9 --process "$TEST_TMP/process.json" "$id" </dev/null
  assert_eq "$(plain "$stdout")" "9 66"
  rt delete -f "$id"
}

test_exec_tty_exit_codes_pass_through() {
  require_root
  local id
  id=$(start_sleeper)
  rt exec --tty "$id" sh -c 'exit 7' </dev/null
  assert_status 7
  rt exec --tty "$id" sh -c 'kill -9 $$' </dev/null
  assert_status 137
  rt exec --tty "$id" no-such-command </dev/null
  assert_status 1
  assert_contains "$stderr" "executable file not found"
  rt exec --tty -d "$id" sleep 1
  assert_status 1
  assert_contains "$stderr" "do not mix"
  rt delete -f "$id"
}

test_control_fd_resizes_the_terminal() {
  require_root
  local id
  id=$(start_sleeper)
  # The process polls its size until the resize arrives (the control fd stays open meanwhile).
  rt exec --tty --cols 10 --rows 5 --control-fd 3 "$id" sh -c \
    'i=0; while [ $i -lt 100 ]; do s=$(stty size); [ "$s" = "40 100" ] && { echo "$s"; exit 0; }; sleep 0.05; i=$((i+1)); done; stty size; exit 1' \
    </dev/null 3< <(exec 2>/dev/null; echo "resize 100 40"; exec sleep 10)
  kill "$!" 2>/dev/null || true
  assert_status 0
  assert_eq "$(plain "$stdout")" "40 100"
  rt delete -f "$id"
}

test_control_fd_signal_and_end_of_file() {
  require_root
  local id started
  id=$(start_sleeper)
  rt exec --control-fd 3 "$id" sleep 60 </dev/null 3< <(exec 2>/dev/null; echo "signal TERM"; exec sleep 10)
  kill "$!" 2>/dev/null || true
  assert_status 143
  # The end of the control fd (the caller is gone) kills, with or without a terminal.
  started=$SECONDS
  rt exec --control-fd 3 "$id" sh -c 'trap "" TERM HUP; sleep 60' </dev/null 3</dev/null
  assert_status 137
  rt exec --tty --control-fd 3 "$id" sh -c 'trap "" TERM HUP; sleep 60' </dev/null 3</dev/null
  assert_status 137
  ((SECONDS - started < 20)) || fail "the processes were not killed at once"
  # Nothing is left running in the container but its init.
  rt exec "$id" sh -c 'for p in /proc/[0-9]*; do cat $p/comm; done' </dev/null
  assert_eq "$(sort <<<"$stdout" | tr '\n' ' ')" "sh sleep "
  rt delete -f "$id"
}

test_exec_tty_in_a_user_namespace_as_a_user() {
  require_root
  [[ -e /proc/self/ns/user ]] || skip "no user namespaces"
  chmod 755 "$TEST_TMP"
  local id out
  id=$(start_sleeper 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]' userns)
  rt exec --tty --user 1000:1000 "$id" sh -c 'id -u; stat -c %u $(tty); echo via-name > $(tty)' </dev/null
  assert_status 0
  out=$(plain "$stdout")
  assert_eq "$out" $'1000\n1000\nvia-name'
  rt delete -f "$id"
}

test_run_with_process_terminal() {
  require_root
  local b=$TEST_TMP/terminal id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["terminal"] = True
c["process"]["consoleSize"] = {"width": 91, "height": 19}
c["process"]["args"] = ["sh", "-c", "tty; stty size; exit 4"]'
  rt run --bundle "$b" "$id" </dev/null
  assert_status 4
  grep -qx '/dev/pts/[0-9]*' <<<"$(plain "$stdout")" || fail "no /dev/pts line in: $stdout"
  assert_contains "$(plain "$stdout")" "19 91"
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
  # Detached, nobody would relay the terminal: refused, nothing left behind.
  id=$(new_id)
  rt run -d --bundle "$b" "$id"
  assert_status 1
  assert_contains "$stderr" "process.terminal"
  [[ ! -e $STATE_ROOT/$id ]] || fail "state dir left behind"
  rt create --bundle "$b" "$id"
  assert_status 1
  assert_contains "$stderr" "process.terminal"
}

run_tests
