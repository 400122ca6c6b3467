#!/usr/bin/env bash
# The whole suite in two runs: tests that keep to themselves on two workers, then, one at a time,
# those that measure real time or share a server (end-to-end, slow, PostgreSQL), which a second
# worker on a 2-core machine would make late. Extra arguments go to both runs. pytest's exit
# code 5 (nothing selected) is not a failure unless neither run selected anything.
set -uo pipefail
cd "$(dirname "$0")/.."
SELFCAST_TEST_PG_URL=$(bash scripts/pg.sh)
export SELFCAST_TEST_PG_URL
ran=0
run() {
  .venv/bin/python -m pytest "$@"
  local rc=$?
  if [[ $rc -eq 5 ]]; then return 0; fi
  ran=1
  return $rc
}
run -n 2 -m "not e2e and not slow and not postgres" "$@" || exit $?
run -m "e2e or slow or postgres" "$@" || exit $?
if [[ $ran -eq 0 ]]; then echo "pytest: no tests selected"; fi
exit 0
