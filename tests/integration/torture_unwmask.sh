#!/bin/bash
# Torture: libunwind's signal masking (preload/unwind_mask.c).  libunwind
# blocks every signal around each use of its global locks, two
# rt_sigprocmask calls a time; the recorder's walks skip those, and mask
# once per walk themselves where the program handles an asynchronous
# signal.
#  - count: 3 threads x 4000 allocations, each a stack to walk step by
#    step, no handler: same output, exactly 12000 allocations in chain(),
#    and at most 500 rt_sigprocmask calls more than the native run (the
#    recorder's walks made 296561 with libunwind's masking: strace -f -c)
#  - dlopen / linked: the program dlopens libunwind.so.8, or needs it, and
#    walks its own stack from a SIGPROF handler that another thread sends
#    every 20 us; a walk that interrupts the recorder's while libunwind's
#    lock is held waits for good unless signals are masked (a shim that
#    never masks hangs both within seconds): same output and status.
#  - jump: a SIGALRM handler siglongjmps out of whatever the program was
#    doing (mapping pages: the recorder walks each call) every 50 us, 2000
#    times: a jump out of a walk that held libunwind's lock unmasked left it
#    taken (a shim that skipped the masking wherever no other code could
#    reach its libunwind hung 19 runs in 20), and one between taking a lock
#    of the recorder's and noting it left that one taken; then the 1000
#    allocations of after_jumps are all recorded.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog rec_unwmask)
linked=$(require_prog rec_unwlinked)

compare_runs count "$prog" count || die "count: the traced run differs"
assert_eq "$(head -n 1 "$TRACED_OUT")" "masks 0" "the program's own sigprocmask calls"
report_json "$TRACE" || die "count: report failed: $(cat "$REPORT_JSON.err")"
expect_func chain allocations 12000

# sigprocmask_calls PRELOAD: the rt_sigprocmask calls of a count run
sigprocmask_calls() {
    strace -f -qq -c -e trace=rt_sigprocmask ${1:+-E LD_PRELOAD="$1"} \
        -E FAULTPROF_OUTPUT="$TMPDIR/strace.%p.gz" timeout 60 "$prog" count 2>&1 >/dev/null |
        awk '$NF == "rt_sigprocmask" { print $4 }'
}
if command -v strace >/dev/null; then
    native=$(sigprocmask_calls "")
    traced=$(sigprocmask_calls "$SHIM")
    [ -n "$native" ] && [ -n "$traced" ] || die "strace counted no rt_sigprocmask calls"
    [ "$traced" -le $((native + 500)) ] ||
        die "traced run made $traced rt_sigprocmask calls, native $native: libunwind's masking was not skipped"
else
    echo "no strace: rt_sigprocmask calls not counted"
fi

CAPTURE_TIMEOUT=60 compare_runs dlopen "$prog" dlopen || die "dlopen: the traced run differs"
CAPTURE_TIMEOUT=60 compare_runs linked "$linked" prof || die "linked: the traced run differs"
readable "$TRACE"

CAPTURE_TIMEOUT=60 compare_runs jump "$prog" jump || die "jump: the traced run differs"
report_json "$TRACE" || die "jump: report failed: $(cat "$REPORT_JSON.err")"
expect_func after_jumps allocations 1000
