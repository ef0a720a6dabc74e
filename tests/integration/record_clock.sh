#!/bin/bash
# The trace's times agree with the program's own clock.  The shim reads its
# clock through the TSC (where the kernel keeps time with the TSC) at a rate
# measured at 2 ms and again at 50 ms: a block held over a 40 ms sleep after
# 5 ms of allocating (the first rate), then, after 150 ms more, blocks held
# over sleeps of 300 ms (the main thread) and 200 ms (another thread) have
# lifetimes in the report within 0.1% of what the program measured with
# CLOCK_MONOTONIC, give or take the trace's clock step (PROCESS clock_step,
# 64 us: the short records' times are rounded down to it; 100 us allowed)
# and 100 us, and 1 ms more on the long side: a thread preempted between the
# allocator's return and its own clock reading makes the block look older.
# A clock rate 1% slow fails each hold, 1% fast the two long ones.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_clock)
run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rec_clock exit status"
report_json "$TRACE"
for f in held_early held_main held_thread; do
    want=$(awk -v f="$f" '$1 == f { print $2 }' "$RUN_OUT")
    [ -n "$want" ] || die "$f: the program printed no time"
    got=$(json_get "site(\"$f\")[\"average_lifetime_ns\"]")
    python3 -c "import sys; d = $got - $want; e = $want * 0.001 + 100000 + 100000
sys.exit(0 if -e <= d <= e + 1000000 else 1)" ||
        die "$f: lifetime $got ns in the report, $want ns measured by the program"
done
