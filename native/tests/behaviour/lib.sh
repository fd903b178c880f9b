# Behaviour-test helpers: source this from a tests/behaviour/test_*.sh script, define functions
# named test_*, then call run_tests.  Each test function runs in its own subshell with `set -e`
# and reports one TAP line ("ok N - file: test" / "not ok ..."), which tests/run-tests.sh counts.
#
#   runtime ARG...          run $SILO_RUNTIME; sets $status, $stdout, $stderr
#   assert_status N         last runtime call exited with N
#   assert_contains TEXT S  TEXT contains S
#   assert_eq A B           A equals B
#   fail MESSAGE            fail the current test
#   skip REASON             skip the current test (reported as "ok N - ... # SKIP REASON")
#
# Containers (tests that run silo-runtime for real; they need root):
#   require_root            skip unless root
#   make_bundle DIR [PY]    a busybox bundle in DIR: `runc spec` (terminal false) + the python3
#                           statements PY, which may change `c` (the config.json dict)
#   new_id                  a unique container id, silo-test-PID-N
#   rt ARG...               runtime --root $STATE_ROOT ARG...
#   Every container, cgroup and mount a test leaves behind under the ids/dirs above is removed
#   when the script exits (cleanup_containers, from the EXIT trap), also after a failure.
#
# Environment: SILO_RUNTIME, the binary under test (set by `make test`).

set -u

: "${SILO_RUNTIME:?set SILO_RUNTIME to the silo-runtime binary (make test does)}"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/silo-runtime-test.XXXXXX")
STATE_ROOT=$TEST_TMP/state-root
RUNC_ROOT=$TEST_TMP/runc-root
ID_PREFIX=silo-test-$$
trap 'cleanup_containers; rm -rf --one-file-system "$TEST_TMP"' EXIT

fail() {
  echo "#   $*"
  exit 1
}

skip() {
  echo "#   SKIP: $*"
  exit 77
}

require_root() {
  [[ $(id -u) -eq 0 ]] || skip "needs root"
}

rt() {
  runtime --root "$STATE_ROOT" "$@"
}

new_id() {
  local n
  n=$(($(cat "$TEST_TMP/.ids" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$TEST_TMP/.ids"
  echo "$ID_PREFIX-$n"
}

make_bundle() {
  local dir=$1 edit=${2:-} applet
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" "$dir/rootfs/tmp" \
    "$dir/rootfs/etc" "$dir/rootfs/root"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for applet in $("$dir/rootfs/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$dir/rootfs/bin/$applet"
  done
  (cd "$dir" && rm -f config.json && runc spec) || fail "runc spec failed"
  python3 - "$dir/config.json" "$edit" <<'PY' || fail "cannot edit $dir/config.json"
import json, sys
path, edit = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
exec(edit)
json.dump(c, open(path, "w"), indent=2)
PY
}

# The 14 capabilities Docker (and Silo's agent) give a container by default: CapEff 00000000a80425fb.
DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# Remove every container, cgroup and mount this script created (called on EXIT).
cleanup_containers() {
  local id dir m
  for dir in "$STATE_ROOT"/*/; do
    [[ -d $dir ]] || continue
    id=${dir%/}; id=${id##*/}
    "$SILO_RUNTIME" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  done
  if [[ -d $RUNC_ROOT ]] && command -v runc >/dev/null; then
    for dir in "$RUNC_ROOT"/*/; do
      [[ -d $dir ]] || continue
      id=${dir%/}; id=${id##*/}
      runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  # Cgroups named after our ids, deepest first.
  for dir in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$ID_PREFIX-*" 2>/dev/null | sort -r); do
    [[ -f $dir/cgroup.procs ]] && while read -r m; do kill -9 "$m" 2>/dev/null; done <"$dir/cgroup.procs"
    rmdir "$dir" 2>/dev/null || true
  done
  # Mounts under TEST_TMP, deepest first.
  for m in $(awk -v t="$TEST_TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

# Cgroup directories of container ID that exist (none expected after delete).
leftover_cgroups() {
  find /sys/fs/cgroup -maxdepth 3 -type d -name "$1" 2>/dev/null || true
}

runtime() {
  status=0
  "$SILO_RUNTIME" "$@" >"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr" || status=$?
  stdout=$(cat "$TEST_TMP/stdout")
  stderr=$(cat "$TEST_TMP/stderr")
}

assert_status() {
  [[ $status -eq $1 ]] || fail "exit status is $status, expected $1 (stderr: ${stderr:-<empty>})"
}

assert_contains() {
  [[ $1 == *"$2"* ]] || fail "expected to find '$2' in: ${1:-<empty>}"
}

assert_not_contains() {
  [[ $1 != *"$2"* ]] || fail "did not expect '$2' in: $1"
}

assert_eq() {
  [[ $1 == "$2" ]] || fail "got '$1', expected '$2'"
}

# Print the value at a dotted PATH (e.g. host.cgroupMode) of the JSON document in FILE, or fail
# if FILE is not valid JSON.  Uses python3, or node when python3 is missing.
json_get() {
  local file=$1 path=$2
  if command -v python3 >/dev/null; then
    python3 -c '
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split(".") if sys.argv[2] else []:
    value = value[key]
print(value if isinstance(value, str) else json.dumps(value))
' "$file" "$path"
  elif command -v node >/dev/null; then
    node -e '
let value = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const key of process.argv[2] ? process.argv[2].split(".") : []) {
  if (!(key in value)) throw new Error(`no key ${key}`);
  value = value[key];
}
console.log(typeof value === "string" ? value : JSON.stringify(value));
' "$file" "$path"
  else
    fail "neither python3 nor node is available to parse JSON"
  fi
}

run_tests() {
  local file=${0##*/} n=0 name
  for name in $(declare -F | awk '$3 ~ /^test_/ { print $3 }'); do
    n=$((n + 1))
    # Not inside `if`: bash ignores `set -e` in a condition, even in a subshell.
    (set -e; "$name")
    local st=$?
    if [[ $st -eq 0 ]]; then
      echo "ok $n - ${file%.sh}: ${name#test_}"
    elif [[ $st -eq 77 ]]; then
      echo "ok $n - ${file%.sh}: ${name#test_} # SKIP"
    else
      echo "not ok $n - ${file%.sh}: ${name#test_}"
    fi
  done
}
