#!/bin/bash
# The recorder's own allocations (pthread_getattr_np's cpu set and the
# thread-local block ld.so makes for libunwind, at a thread's first call)
# leave the program's heap alone: a new thread's first blocks, the blocks it
# gets back after frees, and their offsets are the same with the shim as
# without it, byte for byte.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
prog=$(require_prog rec_layout)
"$prog" >"$TMPDIR/native.out" || die "rec_layout failed natively"
run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "traced exit status"
cmp -s "$TMPDIR/native.out" "$RUN_OUT" ||
    die "the heap layout differs under the shim:
$(diff "$TMPDIR/native.out" "$RUN_OUT" | head -n 20)"
# sampled mode records a thread's first call too
LD_PRELOAD=$SHIM FAULTPROF_SAMPLE_BYTES=1048576 FAULTPROF_OUTPUT=$TMPDIR/s.%p.gz "$prog" \
    >"$TMPDIR/sampled.out" 2>&1 || die "rec_layout failed sampled"
cmp -s "$TMPDIR/native.out" "$TMPDIR/sampled.out" ||
    die "the heap layout differs in sampled mode:
$(diff "$TMPDIR/native.out" "$TMPDIR/sampled.out" | head -n 20)"
