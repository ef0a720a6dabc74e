#!/bin/bash
# Torture: 64 threads created and joined in a loop, threads that exit with
# live blocks, blocks freed by another thread.  Same stdout and status with
# and without the shim, and the trace holds exactly the program's own calls.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_threads)

# 64 threads x 10 rounds x 500 malloc+free
compare_runs loop "$prog" loop 10 500 || die "loop: the traced run differs"
report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
expect_func thread_churn allocations 320000
expect_func thread_churn frees 320000
assert_eq "$(summary threads)" 641 "threads (640 + main)"
assert_eq "$(summary unmatched_frees)" 0 "tort_threads: the joining thread records FREEs of blocks the joined thread allocated unrecorded (summary.unmatched_frees)"
assert_eq "$(summary truncated)" false "truncated"
assert_eq "$(dump_count THREAD_END "$TRACE")" 640 "THREAD_END records"

# threads exiting with live blocks: still recorded, and leaked
compare_runs leak "$prog" leak 100 || die "leak: the traced run differs"
report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
expect_func thread_leak allocations 6400
expect_func thread_leak frees 0
expect_func thread_leak leaked_blocks 6400

# blocks freed by another thread than the one that allocated them
compare_runs cross "$prog" cross 20000 || die "cross: the traced run differs"
report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
expect_func cross_alloc allocations 80000
expect_func cross_alloc frees 80000
expect_func cross_alloc leaked_blocks 0
assert_eq "$(summary unmatched_frees)" 0 "tort_threads: the joining thread records FREEs of blocks the joined thread allocated unrecorded (summary.unmatched_frees)"
torture_done
