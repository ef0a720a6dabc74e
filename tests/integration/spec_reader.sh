#!/bin/bash
# The trace format is a spec a stranger can write a reader from:
# tests/tools/fptrace.py, written from man/faultprof-trace.5 alone, counts
# what faultprof-report counts (allocations, frees, reallocs, failed
# allocations, unmatched frees, leaked blocks and bytes, bytes allocated) in
#   - the 1.2, 2.0 and 3.0 traces of tests/data,
#   - fresh traces of rec_known (ALLOC_REUSE_FREED, REALLOC, full FREE),
#     tort_threads cross (blocks freed by other threads: the spec's "two
#     threads within a step" rule), tort_threads loop (128 threads) and
#     bench/alloc_heavy (ALLOC_REUSE, FREE_BACK past the latest),
#   - one of them cut in the middle of a member.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
require_shim
require_report
tests=$(cd "$(dirname "$0")/.." && pwd)
fptrace=$tests/tools/fptrace.py
keys=(allocations frees reallocs failed_allocations unmatched_frees leaked_blocks leaked_bytes
    bytes_allocated)

# same_counts TRACE VERSION [MIN_ALLOCATIONS]: fptrace reads TRACE as format
# VERSION and its counts are the report's summary's
same_counts() {
    local trace=$1 version=$2 min=${3:-1} diff
    python3 "$fptrace" "$trace" >"$TMPDIR/fptrace.json" 2>"$TMPDIR/fptrace.err" ||
        die "fptrace.py failed on $trace: $(cat "$TMPDIR/fptrace.err")"
    report_json "$trace"
    diff=$(python3 - "$TMPDIR/fptrace.json" "$TMPDIR/report.json" "$version" "$min" "${keys[@]}" <<'PY'
import json, sys
mine = json.load(open(sys.argv[1]))["processes"]
theirs = json.load(open(sys.argv[2]))["summary"]
version, least, keys = sys.argv[3], int(sys.argv[4]), sys.argv[5:]
if len(mine) != 1:
    print("fptrace read %d processes" % len(mine))
elif mine[0]["version"] != version:
    print("fptrace read format %s, not %s" % (mine[0]["version"], version))
elif theirs["allocations"] < least:
    print("only %d allocations (the test wants %d or more)"
          % (theirs["allocations"], least))
for k in keys:
    if mine[0][k] != theirs[k]:
        print("%s: fptrace %d, faultprof-report %d" % (k, mine[0][k], theirs[k]))
PY
)
    assert_eq "$diff" "" "fptrace.py and faultprof-report on $trace"
}

same_counts "$tests/data/v1.2-rec_known.gz" 1.2 564
same_counts "$tests/data/v2.0-rec_known.gz" 2.0 564
same_counts "$tests/data/v3.0-rec_known.gz" 3.0 564

# Fresh traces in today's format: the major and minor of the stream header.
version=$(sed -n 's/^#define FP_VERSION_\(MAJOR\|MINOR\) \([0-9]*\).*/\2/p' \
    "$tests/../include/faultprof/trace.h" | paste -sd.)
case $version in [0-9]*.[0-9]*) ;; *) die "no trace version in include/faultprof/trace.h" ;; esac

fresh=()
# record NAME MIN_ALLOCATIONS PROGRAM ARGS...
record() {
    local name=$1 min=$2
    shift 2
    run_traced -o "$TMPDIR/$name.%p.gz" "$@"
    assert_eq "$RUN_STATUS" 0 "$name exit status"
    assert_eq "${#TRACES[@]}" 1 "$name: trace files"
    same_counts "$TRACE" "$version" "$min"
    fresh+=("$TRACE")
}
record known 564 "$(require_prog rec_known)"
threads=$(require_prog tort_threads)
record cross 20000 "$threads" cross 5000
record loop 38400 "$threads" loop 2 300
if cc -O2 -pthread -o "$TMPDIR/alloc_heavy" "$tests/../bench/alloc_heavy.c" 2>"$TMPDIR/cc.err"; then
    record heavy 40000 "$TMPDIR/alloc_heavy" 2 20000
else
    echo "note: bench/alloc_heavy.c did not build, its trace is left out: $(head -n 1 "$TMPDIR/cc.err")"
fi

# The fresh traces hold every short record, so the reader decoded each.
for t in "${fresh[@]}"; do "$REPORT" --dump "$t"; done | awk '{ print $1 }' >"$TMPDIR/types"
for type in SITE TIME ALLOC_SHORT FREE_SHORT FREE_BACK ALLOC_SHORT_FREED ALLOC_REUSE_FREED ALLOC_REUSE; do
    grep -qx "$type" "$TMPDIR/types" || die "no $type record in the fresh traces"
done

# A trace cut in a member: both read up to its last complete member.
size=$(stat -c %s "${fresh[1]}")
head -c $((size / 2)) "${fresh[1]}" >"$TMPDIR/cut.gz"
same_counts "$TMPDIR/cut.gz" "$version" 1
assert_contains "$(cat "$TMPDIR/fptrace.err")" "cut short" "fptrace.py's warning"
