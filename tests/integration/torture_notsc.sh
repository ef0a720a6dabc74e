#!/bin/bash
# Torture: threads barred from the TSC (prctl PR_SET_TSC, PR_TSC_SIGSEGV),
# where rdtsc and the vDSO's TSC-read clock_gettime raise SIGSEGV.  The
# program (rec_notsc) bars its main thread from the start, creates a thread
# that inherits the bar, lifts it, and has another thread bar itself after
# 60 ms of allocating.  Natively it runs; traced it must too (the recorder
# read the TSC at every malloc and died at the first), with the same output
# and status and exactly the program's allocations, at the default fault
# sampling, at a fault period of 1 and in sampled mode.  Skipped where the
# kernel does not enforce the bar (rdtsc after it still works).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog rec_notsc)

probe=0
("$prog" probe >/dev/null 2>&1) 2>/dev/null || probe=$?
[ "$probe" = 139 ] || skip "this kernel lets a thread read the TSC after PR_TSC_SIGSEGV (probe: exit $probe)"

check_run() {
    local name=$1 f
    compare_runs "$name" "$prog" run || die "$name: the traced run differs"
    assert_eq "$NATIVE_END" "exit 0" "$name: native end"
    report_json "$TRACE" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    for f in barred_main_work barred_child_work allowed_again_work before_bar_work self_barred_work; do
        expect_func "$f" allocations "$(awk -v f="$f" '$1 == f { print $2 }' "$NATIVE_OUT")"
    done
}

check_run plain
FAULTPROF_FAULT_PERIOD=1 check_run period1
FAULTPROF_SAMPLE_BYTES=4096 compare_runs sampled "$prog" run || die "sampled: the traced run differs"
readable "$TRACE"
