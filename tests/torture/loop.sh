#!/bin/bash
# The torture suite in a loop, for the cases that only fail now and then:
#   tests/torture/loop.sh [RUNS] [NAME...]     (default 20 runs of "torture")
# Each run is tests/run.sh NAME...; fork-while-allocating does 20 forks a run
# (TORTURE_LOOPS=1).  Prints a tally per test and the largest number of
# records lost in the crash cases (torture_ends' LOST lines).
# environment: BUILD as for tests/run.sh
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
shift || true
[ $# -gt 0 ] || set -- torture
log=$(mktemp "${TMPDIR:-/tmp}/torture-loop.XXXXXX")
export TORTURE_LOSS_LOG
TORTURE_LOSS_LOG=$(mktemp "${TMPDIR:-/tmp}/torture-loss.XXXXXX")
trap 'rm -f "$log" "$TORTURE_LOSS_LOG"' EXIT
for i in $(seq "$runs"); do
    "$ROOT/tests/run.sh" "$@" | grep -E '^(PASS|FAIL|SKIP) ' >>"$log"
    echo "run $i/$runs: $(grep -c '^FAIL' "$log") failures so far" >&2
done
echo "tally over $runs runs:"
awk '{ n[$2 " " $1]++ } END { for (k in n) print "  " k, n[k] }' "$log" | sort
echo "records lost (largest, by case):"
awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (k in m) print "  " k, m[k] }' "$TORTURE_LOSS_LOG" | sort
grep '^FAIL' "$log" | sort | uniq -c
! grep -q '^FAIL' "$log"
