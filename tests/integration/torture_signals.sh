#!/bin/bash
# Torture: the program's own signal handlers (SIGTRAP, SIGPROF, SIGSEGV on a
# sigaltstack, SIGRTMAX with and without SA_ONSTACK), malloc from handlers during a SIGALRM storm, siglongjmp out
# of handlers that interrupt the shim, and C++ exceptions thrown through
# allocating frames.  Same stdout and status with and without the shim, and
# every allocation the handlers and loops made is in the trace.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_signals)
exc=$(require_prog tort_exc)
CAPTURE_TIMEOUT=30

# check_run NAME ARGS...: compare_runs tort_signals ARGS, then read the trace
check_run() {
    local name=$1; shift
    compare_runs "$name" "$prog" "$@" || die "$name: the traced run differs"
    readable "${TRACES[@]}"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    assert_eq "$(summary truncated)" false "$name: truncated"
}

check_run trap trap 1000
expect_func trap_handler_work allocations 1000

check_run prof prof 20
expect_func prof_main_work allocations "$(sed -n 's/^main //p' "$TRACED_ERR")"

check_run segv segv 1000
expect_func segv_handler_work allocations 1000
expect_func segv_handler_work frees 1000

# "handler H main M maps K" from the traced run
check_run alarm alarm 500
read -r _ h _ m _ k <"$TRACED_ERR"
[ "$h" -gt 100 ] || die "alarm: only $h SIGALRMs handled"
# A handler that interrupts the recorder passes its four calls (malloc, free,
# mmap, munmap) through unrecorded and counts them in PROCESS_END dropped:
# recorded + dropped/4 must give every handler's allocation and mapping.
dropped=$(summary dropped_calls)
assert_eq "$((dropped % 4))" 0 "alarm: dropped calls ($dropped) come in a handler's fours"
assert_eq "$(( $(func_field alarm_handler_work allocations) + dropped / 4 ))" "$h" \
    "tort_signals alarm: recorded + dropped handler allocations fall short: a SIGALRM handler that interrupts the recorder while fp_internal is set (unwinding a stack, pthread_getattr_np) has its calls taken for the recorder's own (hooks_malloc.c guarded()), neither recorded nor counted as dropped"
expect_func main_alloc_work allocations "$m"
assert_eq "$(( $(summary mmap_calls) + dropped / 4 ))" "$k" \
    "tort_signals alarm: recorded + dropped mmap calls fall short (handler calls inside the recorder's own allocations are not counted as dropped)"

# the handler's stacks go through the signal trampoline (__restore_rt): a
# frame a symbolizer must look up at its address, not address - 1
"$REPORT" --format json --by site -n 0 "${TRACES[@]}" >"$TMPDIR/sites.json" 2>/dev/null
assert_eq "$("$PY" "$TORTURE/fpq.py" raw libc.so.6 <"$TMPDIR/sites.json")" 0 \
    "faultprof-report: the signal trampoline frame in a handler's stack shows unsymbolized, as libc.so.6+0x... (__restore_rt), with a 'no symbols for libc.so.6' warning"

# jumping out of the shim's mmap hook must not leave it disabled or locked
check_run jump jump 300
assert_eq "$(func_field after_jump_work allocations)" 100 \
    "tort_signals jump: after siglongjmp out of a handler that interrupted the shim, later allocations are not recorded"

# the toggle signal (SIGRTMAX) the shim takes: the program's own handler
# for it runs on the sigaltstack when installed with SA_ONSTACK, and off it
# when not, as natively
check_run rtmax rtmax 200
assert_eq "$(cat "$TRACED_OUT")" "SA_ONSTACK: 200 on the sigaltstack, 0 off; without: 0 on, 200 off" \
    "tort_signals rtmax: where the program's SIGRTMAX handler ran under the shim"

# C++ exceptions through four allocating frames, 3000 times
compare_runs exc "$exc" 3000 || die "exceptions: the traced run differs"
readable "$TRACE"
report_json "$TRACE" || die "exceptions: report failed: $(cat "$REPORT_JSON.err")"
expect_func frame_alloc allocations 12000
expect_func frame_alloc frees 12000
expect_func frame_alloc leaked_blocks 0

torture_done
