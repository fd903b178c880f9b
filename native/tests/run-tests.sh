#!/usr/bin/env bash
# Run test programs and scripts, show their TAP output ("ok ..." / "not ok ..." lines) and end
# with one line "N passed, M failed"; exit non-zero if anything failed.
#   run-tests.sh TEST...     a TEST ending in .sh runs with bash, anything else is executed.
# A test that exits non-zero without reporting a failure, or reports no test at all, counts as
# one failure.
set -u

passed=0
failed=0

for test in "$@"; do
  name=${test##*/}
  echo "# ${name}"
  if [[ $test == *.sh ]]; then
    output=$(bash "$test" 2>&1)
  else
    output=$("$test" 2>&1)
  fi
  status=$?
  [[ -n $output ]] && printf '%s\n' "$output"

  ok=$(grep -c '^ok ' <<<"$output")
  not_ok=$(grep -c '^not ok ' <<<"$output")
  passed=$((passed + ok))
  failed=$((failed + not_ok))
  if ((status != 0 && not_ok == 0)); then
    echo "not ok - ${name} exited with status ${status}"
    failed=$((failed + 1))
  elif ((ok + not_ok == 0)); then
    echo "not ok - ${name} reported no tests"
    failed=$((failed + 1))
  fi
done

echo "${passed} passed, ${failed} failed"
((failed == 0))
