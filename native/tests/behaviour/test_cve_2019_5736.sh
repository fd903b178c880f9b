#!/usr/bin/env bash
# Behaviour: CVE-2019-5736.  A process in the container keeps trying to reach the runtime
# binary through /proc/PID/exe (to open it for writing, or to hold a handle to it for after the
# runtime's execve) while `exec` runs processes in the container.  The runtime's processes are
# not dumpable until their execve, so /proc/PID/exe of them cannot be opened or even read
# (readlink) by the container; the binary on the host stays unchanged.
. "$(dirname "$0")/lib.sh"

test_container_cannot_reach_the_runtime_binary_during_exec() {
  require_root
  local b=$TEST_TMP/cve id bin=$TEST_TMP/silo-runtime-copy before after i
  # Attack a copy, so that a failure cannot break the build under test.
  cp "$SILO_RUNTIME" "$bin"
  before=$(sha256sum "$bin" | cut -d' ' -f1)
  id=$(new_id)
  make_bundle "$b" "c['root']['readonly'] = False
c['process']['capabilities'] = {k: $DOCKER_CAPS for k in ('bounding', 'effective', 'permitted')}
c['process']['args'] = ['sh', '-c', '''
: >/tmp/log
while :; do
  for f in /proc/[0-9]*/exe; do
    l=\$(readlink \$f 2>/dev/null) || continue
    case \$l in
      *silo-runtime*) echo \"SAW \$f \$l\" >>/tmp/log
        # hold a read handle (the real attack reopens it for writing after the execve)
        exec 3<\$f && echo \"OPENED \$f\" >>/tmp/log
        (echo pwned >>\$f) 2>/dev/null && echo \"WROTE \$f\" >>/tmp/log
        (echo pwned >>/proc/self/fd/3) 2>/dev/null && echo \"WROTE-FD \$f\" >>/tmp/log
        exec 3<&- ;;
    esac
  done
done''']"
  status=0
  "$bin" --root "$STATE_ROOT" run -d --bundle "$b" "$id" >/dev/null 2>"$TEST_TMP/err" || status=$?
  assert_status 0
  for i in $(seq 60); do
    "$bin" --root "$STATE_ROOT" exec "$id" true || fail "exec $i failed"
    "$bin" --root "$STATE_ROOT" exec "$id" sh -c 'true' || fail "exec $i failed"
  done
  rt exec "$id" cat /tmp/log
  local log=$stdout
  rt delete -f "$id"
  after=$(sha256sum "$bin" | cut -d' ' -f1)
  assert_eq "$after" "$before"
  [[ -z $log ]] || fail "the container reached the runtime binary: $log"
}

test_exec_process_is_not_dumpable_until_execve() {
  require_root
  # The exec'd process itself is dumpable again after its execve (normal for a container
  # process), so what we check is that the runtime made itself non-dumpable: its own
  # /proc/PID/exe is hidden from a container process with the default capabilities.
  local b=$TEST_TMP/dump id
  id=$(new_id)
  make_bundle "$b" 'c["process"]["args"] = ["sleep", "60"]'
  rt run -d --bundle "$b" "$id"
  assert_status 0
  rt exec "$id" sh -c 'readlink /proc/1/exe'
  assert_status 0
  assert_eq "$stdout" "/bin/busybox"
  rt delete -f "$id"
}

run_tests
