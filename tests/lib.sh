# Helpers for tests/integration/*.sh, which tests/run.sh runs with BUILD,
# SHIM, REPORT, LAUNCHER, PROGS, DEMOS, TESTS and a private TMPDIR set.
# Source it first thing:   . "$(dirname "$0")/../lib.sh"
# A test exits 0 to pass, 77 to skip (skip "why"), anything else to fail.
# shellcheck shell=bash disable=SC2034 # RUN_*, TRACE and TRACES are for the tests
set -eu

: "${BUILD:=build}" "${TMPDIR:=/tmp}"
: "${SHIM:=$BUILD/libfaultprof.so}" "${REPORT:=$BUILD/faultprof-report}"
: "${LAUNCHER:=$BUILD/faultprof}" "${PROGS:=$BUILD/tests/progs}"
: "${DEMOS:=$BUILD/demo}"
export TMPDIR
# Variables of the user's shell must not leak into what a test checks.
unset FAULTPROF_LIB FAULTPROF_OUTPUT FAULTPROF_FOLLOW FAULTPROF_DEPTH \
    FAULTPROF_RUSAGE_EVERY FAULTPROF_BUFFER_KB FAULTPROF_FLUSH_MS \
    FAULTPROF_SAMPLE_BYTES FAULTPROF_FAULT_PERIOD FAULTPROF_FAULTS \
    FAULTPROF_REGISTRY FAULTPROF_RECORDING FAULTPROF_TOGGLE_SIGNAL LD_PRELOAD

die() {
    echo "FAIL: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
    [ "$1" = "$2" ] || die "${3:-value}: expected '$2', got '$1'"
}

# assert_ne ACTUAL UNEXPECTED [WHAT]
assert_ne() {
    [ "$1" != "$2" ] || die "${3:-value}: did not expect '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]: NEEDLE is a fixed string
assert_contains() {
    case $1 in
    *"$2"*) ;;
    *) die "${3:-output} does not contain '$2'; it is:
$1" ;;
    esac
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
    case $1 in
    *"$2"*) die "${3:-output} contains '$2'; it is:
$1" ;;
    esac
}

# assert_file FILE: exists and is not empty
assert_file() {
    [ -s "$1" ] || die "expected a non-empty file $1"
}

# assert_same_file A B [WHAT]: byte-identical
assert_same_file() {
    cmp -s "$1" "$2" || die "${3:-files} differ: $(cmp "$1" "$2" 2>&1 | head -n 1)"
}

# assert_no_registry: the launcher removed its registry files from TMPDIR
assert_no_registry() {
    local left
    left=$(compgen -G "$TMPDIR/faultprof-registry.*" || true)
    assert_eq "$left" "" "registry files left in TMPDIR"
}

require_shim() {
    [ -f "$SHIM" ] || skip "$SHIM not built yet"
}

# run_launcher ARGS...: runs the launcher; sets rc, out, err
run_launcher() {
    rc=0
    "$LAUNCHER" "$@" >"$TMPDIR/out" 2>"$TMPDIR/err" || rc=$?
    out=$(cat "$TMPDIR/out")
    err=$(cat "$TMPDIR/err")
}

require_report() {
    [ -x "$REPORT" ] || skip "$REPORT not built yet"
}

require_launcher() {
    [ -x "$LAUNCHER" ] || die "$LAUNCHER not built"
}

# require_prog NAME: prints the path of test program NAME
require_prog() {
    [ -x "$PROGS/$1" ] || die "$PROGS/$1 not built (run make tests)"
    printf '%s\n' "$PROGS/$1"
}

# status CMD...: runs CMD and prints its exit status (128+N for signal N),
# without tripping set -e.
status() {
    local rc=0
    "$@" || rc=$?
    echo "$rc"
}

# run_traced [-o TEMPLATE] PROGRAM [ARGS...]: runs PROGRAM natively with the
# shim preloaded (no launcher), stdin from /dev/null.  Sets
#   RUN_STATUS  its exit status          RUN_OUT, RUN_ERR  files of its output
#   TRACES      the trace files written  TRACE  the first of them
# TEMPLATE defaults to $TMPDIR/runN.%p.gz, N counting the calls.
RUN_N=0
run_traced() {
    local template
    RUN_N=$((RUN_N + 1))
    template="$TMPDIR/run$RUN_N.%p.gz"
    if [ "${1:-}" = -o ]; then
        template=$2
        shift 2
    fi
    RUN_OUT=$TMPDIR/run$RUN_N.out
    RUN_ERR=$TMPDIR/run$RUN_N.err
    RUN_STATUS=0
    LD_PRELOAD=$SHIM FAULTPROF_OUTPUT=$template "$@" \
        </dev/null >"$RUN_OUT" 2>"$RUN_ERR" || RUN_STATUS=$?
    # The files the template can have produced, oldest first.
    local glob=${template//%p/*}
    glob=${glob//%e/*}
    # shellcheck disable=SC2086 # the glob is meant to expand
    mapfile -t TRACES < <(ls -tr $glob 2>/dev/null || true)
    TRACE=${TRACES[0]:-}
}

# trace_magic FILE: prints the first 8 bytes of the decompressed trace
trace_magic() {
    gzip -dc "$1" 2>/dev/null | head -c 8
}

# report_json TRACE... : faultprof-report --format json --by function into
# $TMPDIR/report.json (warnings to $TMPDIR/report.err)
report_json() {
    "$REPORT" --format json --by function -n 0 "$@" >"$TMPDIR/report.json" \
        2>"$TMPDIR/report.err" || die "faultprof-report failed on $*: $(cat "$TMPDIR/report.err")"
}

# json_get EXPR: evaluates a Python expression over the last report_json
# output, bound to `r`; `site(name)` is the allocation site of function name
# (a dict of zeros when absent).  Prints the result.
json_get() {
    python3 - "$TMPDIR/report.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def site(name):
    for s in r.get("allocation_sites", []):
        if s.get("function") == name:
            return s
    return {"allocations": 0, "bytes": 0, "leaked_bytes": 0, "temporary": 0,
            "peak_bytes": 0, "stack": []}
print(eval(sys.argv[2]))
PY
}
