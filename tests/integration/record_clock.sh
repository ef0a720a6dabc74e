#!/bin/bash
# The trace's times agree with the program's own clock.  After 150 ms of
# allocating (the shim reads its clock through the TSC from 50 ms on, where
# the kernel keeps time with the TSC), blocks held over sleeps of 300 ms (the
# main thread) and 200 ms (another thread) have lifetimes in the report
# within 0.1% of what the program measured with CLOCK_MONOTONIC, give or take
# the trace's clock step (PROCESS clock_step, 1 ms: the short records' times
# are rounded down to it) and 100 us, and 1 ms more on the long side: a
# thread preempted between the allocator's return and its own clock reading
# makes the block look older.  A clock rate 1% off fails.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_clock)
run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rec_clock exit status"
report_json "$TRACE"
for f in held_main held_thread; do
    want=$(awk -v f="$f" '$1 == f { print $2 }' "$RUN_OUT")
    [ -n "$want" ] || die "$f: the program printed no time"
    got=$(json_get "site(\"$f\")[\"average_lifetime_ns\"]")
    python3 -c "import sys; d = $got - $want; e = $want * 0.001 + 1000000
sys.exit(0 if -e - 100000 <= d <= e + 1000000 else 1)" ||
        die "$f: lifetime $got ns in the report, $want ns measured by the program"
done
