# Behaviour-test helpers: source this from a tests/behaviour/test_*.sh script, define functions
# named test_*, then call run_tests.  Each test function runs in its own subshell with `set -e`
# and reports one TAP line ("ok N - file: test" / "not ok ..."), which tests/run-tests.sh counts.
#
#   runtime ARG...          run $SILO_RUNTIME; sets $status, $stdout, $stderr
#   assert_status N         last runtime call exited with N
#   assert_contains TEXT S  TEXT contains S
#   assert_eq A B           A equals B
#   fail MESSAGE            fail the current test
#
# Environment: SILO_RUNTIME, the binary under test (set by `make test`).

set -u

: "${SILO_RUNTIME:?set SILO_RUNTIME to the silo-runtime binary (make test does)}"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/silo-runtime-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT

fail() {
  echo "#   $*"
  exit 1
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
    if [[ $? -eq 0 ]]; then
      echo "ok $n - ${file%.sh}: ${name#test_}"
    else
      echo "not ok $n - ${file%.sh}: ${name#test_}"
    fi
  done
}
