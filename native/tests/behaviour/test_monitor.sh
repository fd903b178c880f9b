#!/usr/bin/env bash
# Behaviour: silo-monitor (native/INTERFACE.md) driving a fake runtime (monitor-fake-runtime.sh):
# log lines and streams, partial lines, rotation, exit code and signal, the exit file, OOM, the
# failure path, surviving the parent, reaping orphans, and its memory footprint.
. "$(dirname "$0")/lib.sh"

: "${SILO_MONITOR:=$(dirname "$SILO_RUNTIME")/silo-monitor}"
FAKE_RUNTIME=$(cd "$(dirname "$0")" && pwd)/monitor-fake-runtime.sh
TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'

# A fresh bundle for the current test whose container runs CMD: sets B, LOG, EXIT, MPIDFILE.
bundle() {
  B=$(mktemp -d "$TEST_TMP/bundle.XXXXXX")
  LOG=$B/ctr.log
  EXIT=$B/exit.json
  MPIDFILE=$B/monitor.pid
  printf '%s\n' "$1" >"$B/cmd"
  CPID=
  trap cleanup_processes EXIT
}

# Kill what this test started (the container, the monitor), by pid, if still alive.
cleanup_processes() {
  local st=$?
  if [[ -n ${CPID:-} ]]; then
    kill -9 "$CPID" 2>/dev/null || true
  fi
  if [[ -f ${MPIDFILE:-/nonexistent} ]] && is_monitor "$(cat "$MPIDFILE")"; then
    kill -9 "$(cat "$MPIDFILE")" 2>/dev/null || true
  fi
  exit "$st"
}

is_monitor() {
  [[ $(readlink "/proc/$1/exe" 2>/dev/null) == "$(readlink -f "$SILO_MONITOR")" ]]
}

# Start the monitor on bundle $B; sets status, stdout (the container pid), stderr, CPID.
monitor() {
  status=0
  "$SILO_MONITOR" --runtime "$FAKE_RUNTIME" --runtime-root "$TEST_TMP/root" --bundle "$B" \
    --id ctr-1 --log-file "$LOG" --exit-file "$EXIT" --pid-file "$MPIDFILE" "$@" \
    >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" || status=$?
  stdout=$(cat "$TEST_TMP/stdout")
  stderr=$(cat "$TEST_TMP/stderr")
  [[ $status -eq 0 ]] && CPID=$stdout
  true
}

wait_for_exit_file() {
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -f $EXIT ]] && return 0
    sleep 0.05
  done
  fail "no exit file after 10 s (log: $(cat "$LOG" 2>/dev/null))"
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

exit_field() {
  json_get "$EXIT" "$1"
}

# The log with timestamps checked and removed: "stream tag text" per record.
log_records() {
  local file=${1:-$LOG} ts stream tag text
  while IFS= read -r line; do
    ts=${line%% *}
    [[ $ts =~ $TS_RE ]] || fail "bad timestamp in log line: $line"
    printf '%s\n' "${line#* }"
  done <"$file"
}

test_logs_both_streams_and_records_the_exit_code() {
  bundle 'echo out; echo err >&2; echo "two words  spaced"; exit 3'
  monitor
  assert_status 0
  [[ $stdout =~ ^[0-9]+$ ]] || fail "stdout is not a pid: $stdout"
  wait_for_exit_file
  assert_eq "$(exit_field exitCode)" 3
  assert_eq "$(exit_field signal)" null
  assert_eq "$(exit_field oomKilled)" false
  local records
  records=$(log_records)
  assert_contains "$records" "stdout F out"
  assert_contains "$records" "stderr F err"
  assert_contains "$records" "stdout F two words  spaced"
  assert_eq "$(grep -c '' "$LOG")" 3
}

test_exit_file_has_exactly_the_contract_fields() {
  bundle 'sleep 0.2; exit 0'
  monitor
  assert_status 0
  wait_for_exit_file
  python3 - "$EXIT" <<'PY' || fail "exit file: $(cat "$EXIT")"
import json, re, sys
from datetime import datetime
record = json.load(open(sys.argv[1]))
assert sorted(record) == ["exitCode", "finishedAt", "oomKilled", "signal", "startedAt"], record
assert record["exitCode"] == 0 and record["signal"] is None and record["oomKilled"] is False
stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
assert stamp.match(record["startedAt"]) and stamp.match(record["finishedAt"]), record
started = datetime.fromisoformat(record["startedAt"][:26])
finished = datetime.fromisoformat(record["finishedAt"][:26])
assert 0.15 <= (finished - started).total_seconds() < 5, record
PY
  # Written atomically: no temporary file is left next to it.
  assert_eq "$(ls "$B" | grep -c tmp || true)" 0
}

test_partial_lines_and_long_lines_are_cut() {
  bundle 'printf "no newline"; printf "x%.0s" $(seq 1 40000) >&2; echo >&2'
  monitor
  assert_status 0
  wait_for_exit_file
  local records
  records=$(log_records | awk '{ t = $0; sub(/^[^ ]+ [^ ]+ /, "", t); print $1, $2, length(t) }')
  assert_contains "$records" "stdout P 10"
  assert_eq "$(grep '^stderr' <<<"$records" | tr '\n' ,)" "stderr P 16384,stderr P 16384,stderr F 7232,"
  assert_contains "$(log_records)" "stdout P no newline"
}

test_many_lines_arrive_in_order() {
  bundle 'seq 1 20000'
  monitor
  assert_status 0
  wait_for_exit_file
  assert_eq "$(grep -c ' stdout F ' "$LOG")" 20000
  assert_eq "$(awk '{ print $4 }' "$LOG" | tr '\n' ' ' | md5sum)" "$(seq 1 20000 | tr '\n' ' ' | md5sum)"
}

test_log_rotates_by_size_keeping_n_files() {
  bundle 'for i in $(seq 1 100); do echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done'
  monitor --log-max-bytes 1000 --log-max-files 3
  assert_status 0
  wait_for_exit_file
  [[ -f $LOG && -f $LOG.1 && -f $LOG.2 ]] || fail "expected $LOG, .1 and .2: $(ls "$B")"
  [[ ! -e $LOG.3 ]] || fail "$LOG.3 should not exist"
  local f size all
  for f in "$LOG" "$LOG.1" "$LOG.2"; do
    size=$(stat -c %s "$f")
    ((size <= 1000)) || fail "$f has $size bytes"
  done
  # Oldest to newest, the kept lines are consecutive and end with the last one.
  all=$(cat "$LOG.2" "$LOG.1" "$LOG" | awk '{ split($4, a, "-"); print a[2] }')
  assert_eq "$(tail -n 1 <<<"$all")" 100
  assert_eq "$(tr '\n' ' ' <<<"$all")" "$(seq "$(head -n 1 <<<"$all")" 100 | tr '\n' ' ')"
}

test_log_max_files_one_truncates_in_place() {
  bundle 'for i in $(seq 1 50); do echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done'
  monitor --log-max-bytes 500 --log-max-files 1
  assert_status 0
  wait_for_exit_file
  [[ ! -e $LOG.1 ]] || fail "$LOG.1 should not exist"
  assert_contains "$(tail -n 1 "$LOG")" "line-50-"
}

test_signal_death_is_recorded() {
  bundle 'exec sleep 300'
  monitor
  assert_status 0
  kill -TERM "$CPID"
  wait_for_exit_file
  assert_eq "$(exit_field exitCode)" 143
  assert_eq "$(exit_field signal)" 15
}

test_oom_kill_counter_growth_means_oom_killed() {
  bundle "echo 'oom_kill 3' >'$TEST_TMP/oom-events'; kill -9 \$\$"
  printf 'low 0\nhigh 0\nmax 0\noom 2\noom_kill 2\n' >"$TEST_TMP/oom-events"
  monitor --oom-file "$TEST_TMP/oom-events"
  assert_status 0
  wait_for_exit_file
  assert_eq "$(exit_field oomKilled)" true
  assert_eq "$(exit_field signal)" 9
  assert_eq "$(exit_field exitCode)" 137
}

test_unchanged_or_missing_oom_counter_is_not_oom() {
  bundle 'exit 1'
  printf 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n' >"$TEST_TMP/oom-control"
  monitor --oom-file "$TEST_TMP/oom-control"
  wait_for_exit_file
  assert_eq "$(exit_field oomKilled)" false
  rm -f "$EXIT"
  bundle 'exit 1'
  monitor --oom-file "$TEST_TMP/does-not-exist"
  wait_for_exit_file
  assert_eq "$(exit_field oomKilled)" false
}

test_runtime_gets_the_contract_command_line_and_stdio() {
  bundle 'exit 0'
  monitor
  assert_status 0
  wait_for_exit_file
  assert_eq "$(cat "$B/args")" "root=$TEST_TMP/root detach=1 bundle=$B pid-file=$EXIT.runtime-pid id=ctr-1"
  local stdio
  read -r -a stdio <"$B/stdio"
  assert_eq "${stdio[0]}" /dev/null
  [[ ${stdio[1]} == pipe:* && ${stdio[2]} == pipe:* && ${stdio[1]} != "${stdio[2]}" ]] ||
    fail "stdout/stderr should be two pipes: ${stdio[*]}"
  # The monitor wrote its own pid, and removed the runtime's pid file after reading it.
  assert_eq "$(cat "$MPIDFILE")" "$(cat "$B/monitor-pid")"
  [[ ! -e $EXIT.runtime-pid ]] || fail "runtime pid file left behind"
}

test_container_that_exits_before_the_runtime_returns() {
  bundle 'echo quick; exit 7'
  touch "$B/slow"
  monitor
  assert_status 0
  wait_for_exit_file
  assert_eq "$(exit_field exitCode)" 7
  assert_contains "$(log_records)" "stdout F quick"
}

test_runtime_failure_is_reported_and_leaves_nothing() {
  bundle 'echo never'
  printf 'fake runtime: bundle is broken\nsecond line\n' >"$B/fail"
  monitor
  assert_status 1
  assert_eq "$stdout" ""
  assert_contains "$stderr" "silo-monitor: fake runtime: bundle is broken"
  assert_contains "$stderr" "second line"
  wait_until_gone "$(cat "$B/monitor-pid")"
  [[ ! -e $EXIT && ! -e $LOG && ! -e $MPIDFILE && ! -e $EXIT.runtime-pid ]] ||
    fail "left behind: $(ls "$B")"
}

test_runtime_failure_kills_what_it_left_running() {
  bundle 'echo never'
  echo 'fake runtime: failed half way' >"$B/leak"
  monitor
  assert_status 1
  assert_contains "$stderr" "failed half way"
  local leaked
  leaked=$(cat "$B/leaked")
  wait_until_gone "$leaked"
  wait_until_gone "$(cat "$B/monitor-pid")"
}

test_runtime_without_pid_file_is_a_failure() {
  bundle 'sleep 300'
  touch "$B/nopid"
  monitor
  assert_status 1
  assert_contains "$stderr" "did not write the container's pid"
  wait_until_gone "$(cat "$B/monitor-pid")"
}

test_bad_runtime_and_bad_options_fail_clearly() {
  bundle 'exit 0'
  status=0
  "$SILO_MONITOR" --runtime /nonexistent/runtime --bundle "$B" --id x --log-file "$LOG" \
    --exit-file "$EXIT" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" || status=$?
  stderr=$(cat "$TEST_TMP/stderr")
  assert_status 1
  assert_contains "$stderr" "cannot execute runtime \`/nonexistent/runtime\`"
  [[ ! -e $LOG ]] || fail "log file left behind"

  "$SILO_MONITOR" --runtime "$FAKE_RUNTIME" --bundle "$B" --id x --log-file "$LOG" \
    >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" && fail "missing --exit-file accepted"
  assert_contains "$(cat "$TEST_TMP/stderr")" "--exit-file is required"
  "$SILO_MONITOR" --runtime "$FAKE_RUNTIME" --bundle "$B" --id x --log-file "$LOG" --exit-file "$EXIT" \
    --log-max-bytes 0 >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" && fail "--log-max-bytes 0 accepted"
  assert_contains "$(cat "$TEST_TMP/stderr")" "--log-max-bytes must be a positive integer"
  monitor --log-file /nonexistent/dir/log
  assert_status 1
  assert_contains "$stderr" "open log file \`/nonexistent/dir/log\`"
  true
}

test_survives_its_parent_and_ignores_term_hup_int() {
  bundle 'echo started; exec sleep 300'
  # The "agent": a shell that starts the monitor, then lingers until it is killed.
  bash -c '"$@" >"'"$TEST_TMP"'/agent.out"; sleep 300' agent "$SILO_MONITOR" --runtime "$FAKE_RUNTIME" \
    --bundle "$B" --id ctr-1 --log-file "$LOG" --exit-file "$EXIT" --pid-file "$MPIDFILE" &
  local agent=$! i mpid
  for ((i = 0; i < 100; i++)); do
    [[ -s $TEST_TMP/agent.out ]] && break
    sleep 0.05
  done
  CPID=$(cat "$TEST_TMP/agent.out")
  mpid=$(cat "$MPIDFILE")
  kill -9 "$agent"
  wait "$agent" 2>/dev/null || true
  is_monitor "$mpid" || fail "monitor $mpid is not running"
  # Detached: its own session, not the agent's; the container is its child (subreaper).
  [[ $(ps -o sid= -p "$mpid" | tr -d ' ') != $(ps -o sid= -p $$ | tr -d ' ') ]] || fail "same session"
  assert_eq "$(ps -o ppid= -p "$CPID" | tr -d ' ')" "$mpid"
  kill -TERM "$mpid"
  kill -HUP "$mpid"
  kill -INT "$mpid"
  sleep 0.2
  is_monitor "$mpid" || fail "monitor died from TERM/HUP/INT"
  kill -0 "$CPID" || fail "container died"
  [[ ! -e $EXIT ]] || fail "exit file written while the container runs"
  kill -KILL "$CPID"
  wait_for_exit_file
  assert_eq "$(exit_field signal)" 9
  wait_until_gone "$mpid"
  assert_contains "$(log_records)" "stdout F started"
}

test_a_descendant_writing_forever_does_not_keep_the_monitor() {
  bundle "sh -c 'while :; do echo spam; done' & echo \$! >'\$B_DIR/spammer'; sleep 0.1; echo bye; exit 4"
  sed -i "s|\\\$B_DIR|$B|" "$B/cmd"
  monitor
  assert_status 0
  wait_for_exit_file
  assert_eq "$(exit_field exitCode)" 4
  cat "$LOG"* | grep -q ' stdout F bye$' || fail "no 'bye' in the log"
  wait_until_gone "$(cat "$MPIDFILE")"
  # With the monitor gone, the writer dies of SIGPIPE; make sure of it, by its pid.
  kill -9 "$(cat "$B/spammer")" 2>/dev/null || true
}

test_orphans_are_reaped() {
  bundle 'for i in 1 2 3 4 5; do (sleep 0.1 &); done; exec sleep 300'
  monitor
  assert_status 0
  local mpid zombies
  mpid=$(cat "$MPIDFILE")
  sleep 0.6
  zombies=$(ps --ppid "$mpid" -o stat= | grep -c Z || true)
  assert_eq "$zombies" 0
  kill -9 "$CPID"
  wait_for_exit_file
}

test_container_pid_is_what_the_runtime_wrote_and_stays_alive() {
  bundle 'exec sleep 300'
  monitor
  assert_status 0
  kill -0 "$CPID" || fail "container $CPID not running"
  local i
  for ((i = 0; i < 100; i++)); do # until its `exec sleep` has happened
    [[ $(readlink /proc/"$CPID"/exe) == *sleep ]] && break
    sleep 0.02
  done
  assert_contains "$(readlink /proc/"$CPID"/exe)" sleep
  kill -9 "$CPID"
  wait_for_exit_file
}

test_idle_rss_is_small() {
  bundle 'echo hello; exec sleep 300'
  monitor
  assert_status 0
  sleep 0.3
  local mpid rss
  mpid=$(cat "$MPIDFILE")
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$mpid/status")
  echo "#   silo-monitor idle: VmRSS ${rss} kB ($(awk '/^(RssAnon|RssFile):/ { printf "%s %s kB, ", $1, $2 }' "/proc/$mpid/status")$(awk '/^(Pss|Private_Dirty):/ { printf "%s %s kB ", $1, $2 }' "/proc/$mpid/smaps_rollup"))"
  ((rss <= 1024)) || fail "idle RSS ${rss} kB is over 1 MiB"
  kill -9 "$CPID"
  wait_for_exit_file
}

run_tests
