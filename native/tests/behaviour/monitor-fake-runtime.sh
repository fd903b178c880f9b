#!/usr/bin/env bash
# A stand-in for silo-runtime in the silo-monitor tests: implements only
#   [--root DIR] run -d --bundle B --pid-file F ID
# The bundle B says what to do:
#   B/cmd     shell command of the "container", started in the background with the inherited
#             stdout/stderr; its pid goes to F
#   B/fail    print this file on stderr and exit 1 (before starting anything)
#   B/leak    start `sleep 300` (pid in B/leaked), then fail like B/fail
#   B/slow    sleep 0.3 s after starting the container, before exiting
#   B/nopid   exit 0 without writing F
# It records its arguments in B/args, its parent's pid (the monitor) in B/monitor-pid and where its
# standard streams point in B/stdio.
set -u
root=
if [[ ${1:-} == --root ]]; then
  root=$2
  shift 2
fi
[[ ${1:-} == run ]] || { echo "fake runtime: unexpected command: $*" >&2; exit 2; }
shift
bundle= pidfile= id= detach=
while (($#)); do
  case $1 in
    -d | --detach) detach=1; shift ;;
    --bundle) bundle=$2; shift 2 ;;
    --pid-file) pidfile=$2; shift 2 ;;
    *) id=$1; shift ;;
  esac
done
echo "root=$root detach=$detach bundle=$bundle pid-file=$pidfile id=$id" >"$bundle/args"
echo "$PPID" >"$bundle/monitor-pid"
echo "$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)" >"$bundle/stdio"
if [[ -f $bundle/leak ]]; then
  sleep 300 &
  echo $! >"$bundle/leaked"
  cat "$bundle/leak" >&2
  exit 1
fi
if [[ -f $bundle/fail ]]; then
  cat "$bundle/fail" >&2
  exit 1
fi
# Like a detached container: started by a process that exits at once, so that the container is
# reparented to the nearest subreaper (the monitor) and nobody here reaps it.
(
  sh -c "$(cat "$bundle/cmd")" &
  [[ -f $bundle/nopid ]] || echo $! >"$pidfile"
)
[[ -f $bundle/slow ]] && sleep 0.3
exit 0
