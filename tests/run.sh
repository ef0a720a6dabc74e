#!/bin/bash
# faultprof's test runner: the cmocka unit tests in $BUILD/tests/unit, then
# the shell tests in tests/integration, one line per test with its wall
# time and a closing "N passed, N failed, N skipped".  A test exits 0 to
# pass, 77 to skip.
#
# usage: tests/run.sh [-v] [--unit-only] [NAME...]
#   -v           show every test's output, not only a failing one's
#   --unit-only  run only the unit tests (what `make check-asan` does)
#   NAME...      run only tests whose name contains one of these strings
# environment: BUILD (default build), TEST_TIMEOUT seconds per test (300)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

verbose=0
unit_only=0
filters=()
for arg; do
    case $arg in
    -v|--verbose) verbose=1 ;;
    --unit-only)  unit_only=1 ;;
    -h|--help)    sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*)           echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *)            filters+=("$arg") ;;
    esac
done

passed=0 failed=0 skipped=0
failed_names=()

selected() {
    local f
    [ ${#filters[@]} -eq 0 ] && return 0
    for f in "${filters[@]}"; do
        case $1 in *"$f"*) return 0 ;; esac
    done
    return 1
}

# run_one NAME COMMAND...: runs one test in a fresh TMPDIR under a timeout
# and records its verdict.
run_one() {
    local name=$1; shift
    local tmp log rc reason took start=$EPOCHREALTIME
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultprof-test.XXXXXX") || exit 2
    log=$(mktemp "${TMPDIR:-/tmp}/faultprof-test-log.XXXXXX") || exit 2
    # In TMPDIR, so that default-named trace files land there.  timeout(1)
    # puts the test in its own process group and kills all of it.
    (cd "$tmp" && TMPDIR=$tmp exec timeout -k 10 "$TEST_TIMEOUT" "$@" \
        </dev/null >"$log" 2>&1)
    rc=$?
    took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')
    case $rc in
    0)  echo "PASS $name ($took)"; passed=$((passed + 1)) ;;
    77) reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
        echo "SKIP $name${reason:+ ($reason)}"; skipped=$((skipped + 1)) ;;
    124|137)
        echo "FAIL $name (timed out after ${TEST_TIMEOUT}s)"
        failed=$((failed + 1)); failed_names+=("$name") ;;
    *)  echo "FAIL $name (exit $rc, $took)"
        failed=$((failed + 1)); failed_names+=("$name") ;;
    esac
    if [ "$verbose" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
        if [ -s "$log" ]; then
            sed 's/^/    | /' "$log"
        fi
    fi
    rm -rf "$tmp" "$log"
}

# --- unit tests: cmocka binaries, each exits with its number of failures
export TESTS=$ROOT/tests     # where a test finds the source tree's files
for bin in "$BUILD"/tests/unit/test_*; do
    { [ -f "$bin" ] && [ -x "$bin" ]; } || continue
    name=unit/${bin##*/}
    selected "$name" || continue
    run_one "$name" "$bin"
done

# --- integration tests: shell scripts that source tests/lib.sh
if [ "$unit_only" = 0 ]; then
    export BUILD
    export SHIM=$BUILD/libfaultprof.so
    export REPORT=$BUILD/faultprof-report
    export LAUNCHER=$BUILD/faultprof
    export PROGS=$BUILD/tests/progs
    export DEMOS=$BUILD/demo
    for script in tests/integration/*.sh; do
        [ -f "$script" ] || continue
        name=integration/$(basename "$script" .sh)
        selected "$name" || continue
        run_one "$name" bash "$ROOT/$script"
    done
fi

if [ "$failed" -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
