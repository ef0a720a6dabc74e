#!/bin/bash
# Torture: the ways a process ends (return, exit, _exit, abort, SIGSEGV,
# SIGKILL, exit() from a thread while others allocate, killed by timeout(1)).
# Same stdout and status with and without the shim; the trace is readable;
# nothing is lost when the process ends through libc, and at most the
# unwritten buffer of each thread when it is killed (faultprof-trace(5)).
# Prints "LOST MODE N" per crash case; appends it to $TORTURE_LOSS_LOG if set.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_ends)
N=3000 T=3                      # 4 threads x 3000 malloc+free
CAPTURE_TIMEOUT=30

# a FREE record is at least 10 bytes, an ALLOC 14: a thread's 64 KiB buffer
# holds at most this many of them
PER_THREAD=$((65536 / 10))

# lost MODE: the before_end_work records missing from the last report, with
# the documented bound checked
lost() {
    local want=$((2 * N * (T + 1))) got
    got=$(( $(func_field before_end_work allocations) + $(func_field before_end_work frees) ))
    echo "LOST $1 $((want - got)) of $want"
    [ -n "${TORTURE_LOSS_LOG:-}" ] && echo "$1 $((want - got))" >>"$TORTURE_LOSS_LOG"
    [ "$got" -le "$want" ] || die "$1: $got records of before_end_work, more than the $want made"
    [ $((want - got)) -le $((PER_THREAD * (T + 1))) ] ||
        die "$1: lost $((want - got)) records, more than $((T + 1)) buffers hold"
}

# ended through libc: every record is there, the process end too
for mode in return exit _exit abort; do
    compare_runs "$mode" "$prog" "$mode" "$N" "$T" || die "$mode: the traced run differs"
    readable "$TRACE"
    report_json "$TRACE" || die "$mode: report failed: $(cat "$REPORT_JSON.err")"
    expect_func before_end_work allocations $((N * (T + 1)))
    expect_func before_end_work frees $((N * (T + 1)))
    assert_eq "$(summary exited)" true "$mode: exited"
    assert_eq "$(summary truncated)" false "$mode: truncated"
done

# killed: the trace is readable and the loss within the bound
for mode in segv kill; do
    compare_runs "$mode" "$prog" "$mode" "$N" "$T" || die "$mode: the traced run differs"
    readable "$TRACE"
    report_json "$TRACE" || die "$mode: report failed: $(cat "$REPORT_JSON.err")"
    lost "$mode"
done

# never returns; killed by timeout(1) with SIGTERM, then with SIGKILL
for sig in TERM KILL; do
    CAPTURE_PRELOAD='' run_capture "$TMPDIR/hang.native" /dev/null \
        timeout -s "$sig" 1 "$prog" hang "$N" "$T"
    native=$CAPTURE_END
    CAPTURE_PRELOAD='' run_capture "$TMPDIR/hang.traced" /dev/null \
        timeout -s "$sig" 1 env LD_PRELOAD="$SHIM" FAULTPROF_OUTPUT="$TMPDIR/hang$sig.%p.gz" \
        "$prog" hang "$N" "$T"
    assert_eq "$CAPTURE_END" "$native" "hang $sig: how timeout ended"
    assert_same_file "$TMPDIR/hang.traced" "$TMPDIR/hang.native" "hang $sig: stdout"
    trace=$(ls "$TMPDIR"/hang"$sig".*.gz)
    readable "$trace"
    report_json "$trace" || die "hang $sig: report failed: $(cat "$REPORT_JSON.err")"
    lost "timeout-$sig"
done

# exit() from a thread while the others allocate
compare_runs texit "$prog" threadexit 1000 3 || die "threadexit: the traced run differs"
assert_eq "$TRACED_END" "exit 7" "threadexit: status"
readable "$TRACE"
report_json "$TRACE" || die "threadexit: report failed: $(cat "$REPORT_JSON.err")"
expect_func before_end_work allocations 1000
assert_eq "$(summary exited)" true "threadexit: exited"
assert_eq "$(dump_count PROCESS_END "$TRACE")" 1 "threadexit: PROCESS_END records"

torture_done
